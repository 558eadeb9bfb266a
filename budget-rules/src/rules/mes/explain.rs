//! Turning a recorded run into one explanation per project.

use super::run::{Prepared, Run};
use super::{MesDecision, MesExplanation, SupporterPayment};
use crate::rules::greedy::GreedyExplanation;

pub(super) fn explanations(
    prepared: &Prepared<'_>,
    run: &Run,
    completion: Vec<GreedyExplanation>,
) -> Vec<MesExplanation> {
    let election = prepared.election;
    let mut completion_of: Vec<Option<GreedyExplanation>> = vec![None; election.projects().len()];
    for step in completion {
        let project = step.project;
        completion_of[project] = Some(step);
    }
    (0..election.projects().len())
        .map(|p| {
            let decision = decision(prepared, run, p);
            MesExplanation {
                project: p,
                cost: election.project(p).cost,
                votes: election.votes(p),
                decision,
                completion: completion_of[p].take(),
            }
        })
        .collect()
}

fn decision(prepared: &Prepared<'_>, run: &Run, p: usize) -> MesDecision {
    let election = prepared.election;
    if election.votes(p) == 0 {
        return MesDecision::NoSupporters;
    }
    if prepared.free.contains(&p) {
        return MesDecision::Free;
    }
    let Some(record) = &run.record else {
        // No voters: no run was recorded.
        return MesDecision::NeverAffordable { supporters_money: 0.0 };
    };
    if let Some((i, round)) = record.rounds.iter().enumerate().find(|(_, r)| r.winner == p) {
        let cost = election.project(p).cost as f64;
        return MesDecision::Bought {
            round: i + 1,
            max_payment: round.max_payment,
            rho: round.rho,
            effective_votes: cost / round.max_payment,
            payments: round
                .payments
                .iter()
                .map(|&(voter, amount)| SupporterPayment { voter: voter as usize, amount })
                .collect(),
        };
    }
    let project = &record.projects[p];
    match project.last_affordable {
        None => MesDecision::NeverAffordable { supporters_money: project.money_when_dropped },
        Some((round, max_payment, rho)) => {
            let instead = record.rounds.get(round - 1);
            MesDecision::Outbid {
                last_affordable_round: round,
                max_payment,
                rho,
                bought_instead: instead.map_or(p, |r| r.winner),
                winning_rho: instead.map_or(f64::NAN, |r| r.rho),
                supporters_money_at_end: record.final_money[p],
            }
        }
    }
}
