//! Why each project was or was not funded, in sentences built from the rules'
//! explanations (`budget-rules` returns data; the words are the theme's messages,
//! with `{votes}`, `{cost}`, `{amount}`... filled in here).
use budget_rules::rules::{CoverageDecision, GreedyDecision, GreedyExplanation, MesDecision};
use tenant_core::budgets::results::Results;
use tenant_core::budgets::{Budget, ResultsRule};
use tenant_core::names::Locale;

use super::money;
use crate::themes::Theme;

/// Fills the placeholders of one message.
struct Say<'a> {
    theme: &'a Theme,
    locale: Locale,
    budget: &'a Budget,
}

impl Say<'_> {
    fn money(&self, units: u64) -> String {
        money::format(
            i64::try_from(units).unwrap_or(i64::MAX),
            self.budget.money_scale,
            &self.budget.currency,
            self.locale,
        )
    }

    fn money_f(&self, units: f64) -> String {
        money::format_f64(units, self.budget.money_scale, &self.budget.currency, self.locale)
    }

    fn count(&self, n: usize) -> String {
        money::count(n as u64, self.locale)
    }

    fn text(&self, key: &str, fills: &[(&str, String)]) -> String {
        let mut out = self.theme.message(self.locale, key);
        for (name, value) in fills {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        out
    }

    /// "1 vote" / "12 votes".
    fn votes(&self, n: usize) -> String {
        let key = if n == 1 { "budgets_votes_one" } else { "budgets_votes_many" };
        self.text(key, &[("n", self.count(n))])
    }
}

/// `ρ` with four significant digits.
fn rho(value: f64) -> String {
    if !value.is_finite() || value == 0.0 {
        return "—".to_owned();
    }
    let digits = (3 - value.abs().log10().floor() as i32).max(0) as usize;
    format!("{value:.digits$}")
}

fn greedy_sentence(say: &Say<'_>, e: &GreedyExplanation) -> String {
    let (votes, cost, rank) = (say.votes(e.votes), say.money(e.cost), e.rank.to_string());
    match e.decision {
        GreedyDecision::Funded { remaining_after } => say.text(
            "budgets_why_greedy_funded",
            &[("rank", rank), ("votes", votes), ("cost", cost), ("remaining", say.money(remaining_after))],
        ),
        GreedyDecision::DidNotFit { remaining_budget } => say.text(
            "budgets_why_greedy_did_not_fit",
            &[("rank", rank), ("votes", votes), ("cost", cost), ("remaining", say.money(remaining_budget))],
        ),
        GreedyDecision::NoVotes => say.text("budgets_why_no_votes", &[]),
    }
}

/// One sentence per project (in project order) saying why the budget's rule funded
/// it or not.
pub fn sentences(theme: &Theme, locale: Locale, budget: &Budget, titles: &[String], results: &Results) -> Vec<String> {
    let say = Say { theme, locale, budget };
    let n = titles.len();
    match budget.results_rule {
        ResultsRule::Greedy => match &results.greedy {
            Some(o) => o.projects.iter().map(|e| greedy_sentence(&say, e)).collect(),
            None => vec![String::new(); n],
        },
        ResultsRule::Coverage => results
            .coverage
            .projects
            .iter()
            .map(|e| {
                let (votes, cost) = (say.votes(e.votes), say.money(e.cost));
                match e.decision {
                    CoverageDecision::Chosen { step, newly_reached } => say.text(
                        "budgets_why_coverage_chosen",
                        &[
                            ("step", step.to_string()),
                            ("votes", votes),
                            ("cost", cost),
                            ("reached", say.count(newly_reached)),
                        ],
                    ),
                    CoverageDecision::DoesNotFit { remaining_budget, would_newly_reach } => say.text(
                        "budgets_why_coverage_does_not_fit",
                        &[
                            ("votes", votes),
                            ("cost", cost),
                            ("remaining", say.money(remaining_budget)),
                            ("reached", say.count(would_newly_reach)),
                        ],
                    ),
                    CoverageDecision::CostsMoreThanBudget => {
                        say.text("budgets_why_more_than_budget", &[("votes", votes), ("cost", cost)])
                    }
                    CoverageDecision::NoVotes => say.text("budgets_why_no_votes", &[]),
                }
            })
            .collect(),
        ResultsRule::EqualShares => match &results.mes {
            Some(o) => o
                .projects
                .iter()
                .map(|e| {
                    let (votes, cost) = (say.votes(e.votes), say.money(e.cost));
                    let rounds = match &e.decision {
                        MesDecision::Free => say.text("budgets_why_mes_free", &[("votes", votes.clone())]),
                        MesDecision::Bought { round, max_payment, .. } => say.text(
                            "budgets_why_mes_bought",
                            &[
                                ("round", round.to_string()),
                                ("votes", votes.clone()),
                                ("cost", cost.clone()),
                                ("price", say.money_f(*max_payment)),
                            ],
                        ),
                        MesDecision::NoSupporters => say.text("budgets_why_no_votes", &[]),
                        MesDecision::NeverAffordable { supporters_money } => say.text(
                            "budgets_why_mes_never_affordable",
                            &[
                                ("votes", votes.clone()),
                                ("cost", cost.clone()),
                                ("money", say.money_f(*supporters_money)),
                            ],
                        ),
                        MesDecision::Outbid {
                            last_affordable_round,
                            max_payment,
                            rho: own,
                            bought_instead,
                            winning_rho,
                            supporters_money_at_end,
                        } => say.text(
                            "budgets_why_mes_outbid",
                            &[
                                ("round", last_affordable_round.to_string()),
                                ("votes", votes.clone()),
                                ("cost", cost.clone()),
                                ("price", say.money_f(*max_payment)),
                                ("other", titles.get(*bought_instead).cloned().unwrap_or_default()),
                                ("other_rho", rho(*winning_rho)),
                                ("rho", rho(*own)),
                                ("money", say.money_f(*supporters_money_at_end)),
                            ],
                        ),
                    };
                    match &e.completion {
                        Some(g) => match g.decision {
                            GreedyDecision::Funded { remaining_after } => format!(
                                "{rounds} {}",
                                say.text(
                                    "budgets_why_mes_completion_funded",
                                    &[("votes", votes), ("remaining", say.money(remaining_after))]
                                )
                            ),
                            GreedyDecision::DidNotFit { remaining_budget } => format!(
                                "{rounds} {}",
                                say.text(
                                    "budgets_why_mes_completion_did_not_fit",
                                    &[("remaining", say.money(remaining_budget))]
                                )
                            ),
                            GreedyDecision::NoVotes => rounds,
                        },
                        None => rounds,
                    }
                })
                .collect(),
            None => vec![String::new(); n],
        },
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn rho_has_four_significant_digits() {
        assert_eq!(super::rho(0.000_123_456), "0.0001235");
        assert_eq!(super::rho(1.5), "1.500");
        assert_eq!(super::rho(151.837), "151.8");
        assert_eq!(super::rho(f64::NAN), "—");
    }
}
