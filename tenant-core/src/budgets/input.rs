//! What an administrator sets on a budget, checked before it is stored.
use super::{MesUtility, ResultsRule, RuleKind, MAX_AMOUNT};
use crate::error::{CoreError, CoreResult};
use crate::spaces::Texts;

/// What an administrator sets on a budget.
#[derive(Clone, Debug, PartialEq)]
pub struct BudgetInput {
    pub title: Texts,
    pub description: Texts,
    /// In units of `10^-money_scale`.
    pub amount: i64,
    pub currency: String,
    pub money_scale: u32,
    pub rule: RuleKind,
    pub min_projects: u32,
    pub max_projects: u32,
    pub min_share_percent: u32,
    pub results_rule: ResultsRule,
    pub mes_utility: MesUtility,
    pub add1_increment: i64,
}

impl BudgetInput {
    /// Checks the input; errors name the field.
    pub fn check(&self) -> CoreResult<()> {
        if self.title.values().all(|t| t.trim().is_empty()) {
            return Err(CoreError::Invalid("title: required in at least one language".into()));
        }
        if self.title.values().any(|t| t.chars().count() > 150) {
            return Err(CoreError::Invalid("title: at most 150 characters".into()));
        }
        if self.description.values().any(|t| t.chars().count() > 4000) {
            return Err(CoreError::Invalid("description: at most 4,000 characters".into()));
        }
        if !(1..=MAX_AMOUNT).contains(&self.amount) {
            return Err(CoreError::Invalid("amount: more than zero".into()));
        }
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(CoreError::Invalid("currency: a three-letter code such as EUR".into()));
        }
        if self.money_scale > 4 {
            return Err(CoreError::Invalid("money_scale: from 0 to 4 decimals".into()));
        }
        if self.min_projects > 10_000 || self.max_projects > 10_000 {
            return Err(CoreError::Invalid("projects: at most 10,000".into()));
        }
        if self.max_projects > 0 && self.max_projects < self.min_projects {
            return Err(CoreError::Invalid("max_projects: at least the minimum number of projects".into()));
        }
        match self.rule {
            RuleKind::Approval if self.max_projects == 0 => {
                return Err(CoreError::Invalid(
                    "max_projects: approval voting needs the number of projects each person may choose (K ≥ 1)".into(),
                ))
            }
            RuleKind::Approval if self.min_share_percent > 0 => {
                return Err(CoreError::Invalid(
                    "min_share_percent: only for ballots limited by the budget (knapsack)".into(),
                ))
            }
            _ => {}
        }
        if self.min_share_percent > 100 {
            return Err(CoreError::Invalid("min_share_percent: from 0 to 100".into()));
        }
        if !(0..=MAX_AMOUNT).contains(&self.add1_increment) {
            return Err(CoreError::Invalid("add1_increment: zero (automatic) or more".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::Locale;

    #[test]
    fn budget_input_names_the_field_in_error() {
        let ok = BudgetInput {
            title: [(Locale::Fr, "Quartier nord".to_owned())].into(),
            description: Texts::new(),
            amount: 100_000,
            currency: "EUR".into(),
            money_scale: 2,
            rule: RuleKind::Knapsack,
            min_projects: 0,
            max_projects: 0,
            min_share_percent: 0,
            results_rule: ResultsRule::Greedy,
            mes_utility: MesUtility::Cost,
            add1_increment: 0,
        };
        assert!(ok.check().is_ok());
        let err = |i: BudgetInput| i.check().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err(BudgetInput { title: Texts::new(), ..ok.clone() }).starts_with("title:"));
        assert!(err(BudgetInput { amount: 0, ..ok.clone() }).starts_with("amount:"));
        assert!(err(BudgetInput { currency: "euro".into(), ..ok.clone() }).starts_with("currency:"));
        assert!(err(BudgetInput { rule: RuleKind::Approval, ..ok.clone() }).starts_with("max_projects:"));
        assert!(err(BudgetInput { min_projects: 4, max_projects: 2, ..ok.clone() }).starts_with("max_projects:"));
        assert!(err(BudgetInput { rule: RuleKind::Approval, max_projects: 3, min_share_percent: 10, ..ok.clone() })
            .starts_with("min_share_percent:"));
    }
}
