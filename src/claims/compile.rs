//! Compiling a server's claims once: expressions parsed, group filters built, names checked.

use super::group_filter::{GroupFilter, InvalidGroupRegex};
use super::reserved::is_reserved;
use crate::expr::{Expression, ParseError};
use crate::model::{Claim, ClaimType, ClaimValueType, Status};

/// The `sub` expression Okta ships as the system `sub` claim (the "Claims Object" example of
/// Okta's 2017 OAuth 2.0 API reference): the app username for user flows, the client id for
/// client credentials.
pub const DEFAULT_SUB_EXPRESSION: &str = "(appuser != null) ? appuser.userName : app.clientId";

/// One claim, ready to evaluate.
#[derive(Debug, Clone)]
pub struct CompiledClaim {
    /// The claim name in the token.
    pub name: String,
    /// Access token (`RESOURCE`) or ID token (`IDENTITY`).
    pub claim_type: ClaimType,
    /// How the value is produced.
    pub value: ClaimValue,
    /// Granted scopes that trigger the claim; empty = any.
    pub scopes: Vec<String>,
    /// Effective `alwaysIncludeInToken` (always true for access-token claims).
    pub always_include: bool,
    /// Whether the claim is `ACTIVE`.
    pub active: bool,
    /// Okta-created.
    pub system: bool,
}

/// How a compiled claim's value is produced.
#[derive(Debug, Clone)]
pub enum ClaimValue {
    /// An expression, parsed.
    Expression(Expression),
    /// The names of the user's groups passing a filter.
    Groups(GroupFilter),
    /// A value the server computes itself (the OpenID Connect standard claims).
    System,
}

impl CompiledClaim {
    /// Whether the claim applies given the granted scopes (`[]` = any scope; otherwise one of
    /// its scopes must be granted).
    pub fn applies_to(&self, granted: &[String]) -> bool {
        self.active && (self.scopes.is_empty() || self.scopes.iter().any(|s| granted.contains(s)))
    }
}

/// Why a claim definition cannot be used. The management API reports these as `errorCauses`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ClaimDefinitionError {
    /// The name is one the server sets itself.
    #[error("'{0}' is a reserved claim name")]
    ReservedName(String),
    /// The name is empty.
    #[error("a claim needs a name")]
    MissingName,
    /// The expression does not parse.
    #[error("claim '{name}': {error}")]
    Expression {
        /// The claim.
        name: String,
        /// The parser's positioned message.
        error: ParseError,
    },
    /// A `GROUPS` claim without `group_filter_type`.
    #[error("claim '{0}': a GROUPS claim needs group_filter_type")]
    MissingGroupFilterType(String),
    /// A `REGEX` group filter that does not compile.
    #[error("claim '{name}': {error}")]
    GroupRegex {
        /// The claim.
        name: String,
        /// What the regex compiler said.
        error: InvalidGroupRegex,
    },
}

/// Compiles one claim definition.
///
/// # Errors
/// The [`ClaimDefinitionError`] that makes the definition unusable.
pub fn compile_claim(claim: &Claim) -> Result<CompiledClaim, ClaimDefinitionError> {
    if claim.name.is_empty() {
        return Err(ClaimDefinitionError::MissingName);
    }
    if !claim.system && is_reserved(&claim.name, claim.claim_type) {
        return Err(ClaimDefinitionError::ReservedName(claim.name.clone()));
    }
    let value = match claim.value_type {
        ClaimValueType::Expression => {
            // A system `sub` claim stored without a value still means Okta's default.
            let source = if claim.value.is_empty() && claim.system && claim.name == "sub" {
                DEFAULT_SUB_EXPRESSION
            } else {
                claim.value.as_str()
            };
            let expression = Expression::parse(source).map_err(|error| ClaimDefinitionError::Expression {
                name: claim.name.clone(),
                error,
            })?;
            ClaimValue::Expression(expression)
        }
        ClaimValueType::Groups => {
            let kind = claim
                .group_filter_type
                .ok_or_else(|| ClaimDefinitionError::MissingGroupFilterType(claim.name.clone()))?;
            let filter = GroupFilter::new(kind, &claim.value).map_err(|error| ClaimDefinitionError::GroupRegex {
                name: claim.name.clone(),
                error,
            })?;
            ClaimValue::Groups(filter)
        }
        ClaimValueType::System => ClaimValue::System,
    };
    Ok(CompiledClaim {
        name: claim.name.clone(),
        claim_type: claim.claim_type,
        value,
        scopes: claim.condition_scopes().to_vec(),
        always_include: claim.always_include(),
        active: claim.status == Status::Active,
        system: claim.system,
    })
}

/// A server's claims, compiled once (when the configuration is loaded) and evaluated for every
/// token from the compiled form.
#[derive(Debug, Clone)]
pub struct ClaimSet {
    pub(super) claims: Vec<CompiledClaim>,
    pub(super) sub: Expression,
    /// Whether `sub` is [`DEFAULT_SUB_EXPRESSION`], which minting reads without the interpreter.
    pub(super) default_sub: bool,
}

impl ClaimSet {
    /// Compiles every claim. The access token's `sub` comes from the `sub` claim if the server
    /// has one, otherwise from [`DEFAULT_SUB_EXPRESSION`].
    ///
    /// # Errors
    /// Every unusable definition, so an administrator sees all of them at once.
    pub fn compile(claims: &[Claim]) -> Result<ClaimSet, Vec<ClaimDefinitionError>> {
        let mut compiled = Vec::with_capacity(claims.len());
        let mut errors = Vec::new();
        for claim in claims {
            match compile_claim(claim) {
                Ok(claim) => compiled.push(claim),
                Err(error) => errors.push(error),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let sub_claim = compiled.iter().position(|c| {
            c.name == "sub" && c.claim_type == ClaimType::Resource && matches!(c.value, ClaimValue::Expression(_))
        });
        let sub = match sub_claim.map(|index| compiled.remove(index)) {
            Some(CompiledClaim {
                value: ClaimValue::Expression(expression),
                ..
            }) => expression,
            _ => Expression::parse(DEFAULT_SUB_EXPRESSION).map_err(|error| {
                vec![ClaimDefinitionError::Expression {
                    name: "sub".to_owned(),
                    error,
                }]
            })?,
        };
        let default_sub = sub.source() == DEFAULT_SUB_EXPRESSION;
        Ok(ClaimSet {
            claims: compiled,
            sub,
            default_sub,
        })
    }

    /// The compiled claims (the `sub` claim excepted: see [`ClaimSet::sub_expression`]).
    pub fn claims(&self) -> &[CompiledClaim] {
        &self.claims
    }

    /// The expression that produces the access token's `sub`.
    pub fn sub_expression(&self) -> &Expression {
        &self.sub
    }

    /// The claims of `claim_type` that a token granted `scopes` carries: active, and applying to
    /// the scopes.
    pub(super) fn applicable(&self, claim_type: ClaimType, scopes: &[String]) -> impl Iterator<Item = &CompiledClaim> {
        self.claims
            .iter()
            .filter(move |claim| claim.claim_type == claim_type && claim.applies_to(scopes))
    }

    /// Whether a token granted `scopes` evaluates a claim of `claim_type` (an expression or a
    /// groups filter) rather than having the server set it.
    pub(super) fn evaluates(&self, claim_type: ClaimType, scopes: &[String]) -> bool {
        self.applicable(claim_type, scopes)
            .any(|claim| !matches!(claim.value, ClaimValue::System))
    }

    /// The `SYSTEM` claim named `name`, if the server defines one.
    pub(super) fn system_claim(&self, name: &str) -> Option<&CompiledClaim> {
        self.claims
            .iter()
            .find(|c| c.name == name && matches!(c.value, ClaimValue::System))
    }
}
