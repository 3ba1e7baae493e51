//! A fixed-size set of positions (rules or policies in evaluation order), as 64-bit words.

/// A set of positions below the length it was made for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Bits(Vec<u64>);

impl Bits {
    /// The empty set of positions below `len`.
    pub(super) fn new(len: usize) -> Self {
        Self(vec![0; len.div_ceil(64)])
    }

    pub(super) fn set(&mut self, bit: usize) {
        if let Some(word) = self.0.get_mut(bit / 64) {
            *word |= 1 << (bit % 64);
        }
    }

    pub(super) fn contains(&self, bit: usize) -> bool {
        self.0.get(bit / 64).is_some_and(|word| word & (1 << (bit % 64)) != 0)
    }

    /// The empty set of the same length.
    pub(super) fn empty_like(&self) -> Self {
        Self(vec![0; self.0.len()])
    }

    /// Removes every position.
    pub(super) fn clear(&mut self) {
        self.0.iter_mut().for_each(|word| *word = 0);
    }

    pub(super) fn or(&mut self, other: &Bits) {
        self.0.iter_mut().zip(&other.0).for_each(|(a, b)| *a |= b);
    }

    pub(super) fn and(&mut self, other: &Bits) {
        self.0.iter_mut().zip(&other.0).for_each(|(a, b)| *a &= b);
    }

    pub(super) fn and_not(&mut self, other: &Bits) {
        self.0.iter_mut().zip(&other.0).for_each(|(a, b)| *a &= !b);
    }

    /// The positions in `self` and not in `other`, as a new set.
    pub(super) fn without(&self, other: &Bits) -> Bits {
        let mut out = self.clone();
        out.and_not(other);
        out
    }

    /// The positions in `self` and in `other`, as a new set.
    pub(super) fn with(&self, other: &Bits) -> Bits {
        let mut out = self.clone();
        out.and(other);
        out
    }

    /// Keeps the positions in `every` or in `named`.
    pub(super) fn and_either(&mut self, every: &Bits, named: Option<&Bits>) {
        for (position, word) in self.0.iter_mut().enumerate() {
            let admitted = every.0.get(position).copied().unwrap_or_default()
                | named
                    .and_then(|named| named.0.get(position))
                    .copied()
                    .unwrap_or_default();
            *word &= admitted;
        }
    }

    /// The first position at or after `from`.
    pub(super) fn next_from(&self, from: usize) -> Option<usize> {
        let mut position = from / 64;
        let mut word = self.0.get(position)? & (u64::MAX << (from % 64));
        loop {
            if word != 0 {
                return Some(position * 64 + word.trailing_zeros() as usize);
            }
            position += 1;
            word = *self.0.get(position)?;
        }
    }

    /// The positions in the set, in increasing order.
    pub(super) fn ones(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(position, &word)| {
            let mut rest = word;
            std::iter::from_fn(move || {
                (rest != 0).then(|| {
                    let bit = rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    position * 64 + bit
                })
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_operations_and_iteration() {
        let mut a = Bits::new(130);
        for bit in [0, 63, 64, 129, 192] {
            a.set(bit);
        }
        assert_eq!(
            a.ones().collect::<Vec<_>>(),
            [0, 63, 64, 129],
            "192 is past the last word"
        );
        assert!(a.contains(64) && !a.contains(65) && !a.contains(1000));
        assert_eq!(a.next_from(0), Some(0));
        assert_eq!(a.next_from(1), Some(63));
        assert_eq!(a.next_from(65), Some(129));
        assert_eq!(a.next_from(130), None);
        assert_eq!(a.next_from(5000), None);
        let mut b = Bits::new(130);
        b.set(63);
        b.set(100);
        assert_eq!(a.with(&b).ones().collect::<Vec<_>>(), [63]);
        assert_eq!(a.without(&b).ones().collect::<Vec<_>>(), [0, 64, 129]);
        let mut c = a.clone();
        c.or(&b);
        assert_eq!(c.ones().collect::<Vec<_>>(), [0, 63, 64, 100, 129]);
        c.and_either(&b, Some(&a));
        assert_eq!(c, {
            let mut all = a.clone();
            all.or(&b);
            all
        });
        c.and_either(&b, None);
        assert_eq!(c, b);
        assert!(b.ones().next().is_some() && b.empty_like().ones().next().is_none());
        b.clear();
        assert_eq!(b, b.empty_like());
    }
}
