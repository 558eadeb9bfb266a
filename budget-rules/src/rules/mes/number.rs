//! The two kinds of numbers the method of equal shares runs on.
//!
//! Runs use `f64` first: fast, and every decision it takes is certified. Two numbers
//! closer than [`TOLERANCE`] (relative) are "too close to call" in floats, and a run
//! that would have to decide on such a pair is redone with exact fractions
//! ([`BigRational`]), which is what pabutools uses. Float errors here are around
//! 1e-13 relative (a few dozen rounded operations on amounts below 2^53; a sum over
//! the supporters of a project, positive terms, errs by at most about `n`·2^-53 for `n`
//! terms: 2e-11 for the 200,000 groups of a 500,000-voter election), far inside the
//! tolerance, so a certified float decision is the exact decision.

use std::cmp::Ordering;

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{ToPrimitive, Zero};

use super::groups::Member;

/// Relative gap under which two floats are too close to compare.
pub(crate) const TOLERANCE: f64 = 1e-9;

/// The result of comparing two numbers that may carry rounding errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Comparison {
    /// Certainly this order.
    Certain(Ordering),
    /// Too close to tell in this arithmetic.
    TooClose,
}

/// What the supporters of a project hold, found in one pass over their groups.
#[derive(Debug, Clone)]
pub(crate) struct Money<N> {
    /// Their money together.
    pub total: N,
    /// How many of them have money left.
    pub rich_voters: u64,
    /// Whether every one of them has money left.
    pub all_have_money: bool,
    /// The least money a supporter with money left holds (zero if none has).
    pub least: N,
}

/// Arithmetic needed by a run of the method of equal shares.
pub(crate) trait Number: Clone + std::fmt::Debug {
    /// Whether comparisons are exact (no [`Comparison::TooClose`]).
    const EXACT: bool;
    fn zero() -> Self;
    fn from_u64(value: u64) -> Self;
    fn ratio(numerator: u64, denominator: u64) -> Self;
    fn add(&self, other: &Self) -> Self;
    fn sub(&self, other: &Self) -> Self;
    fn div(&self, other: &Self) -> Self;
    fn div_u64(&self, divisor: u64) -> Self;
    fn mul_u64(&self, factor: u64) -> Self;
    fn is_zero(&self) -> bool;
    /// Exact-or-float order, used inside a computation (water levels, payments).
    fn order(&self, other: &Self) -> Ordering;
    /// Order as a decision: exact, or certain only outside the tolerance.
    fn decide(&self, other: &Self) -> Comparison;
    fn to_f64(&self) -> f64;

    /// The money of the groups `members`, whose money per voter is in `budgets`.
    fn money(budgets: &[Self], members: &[Member]) -> Money<Self> {
        let mut total = Self::zero();
        let mut rich_voters = 0;
        let mut all_have_money = true;
        let mut least: Option<&Self> = None;
        for m in members {
            let budget = &budgets[m.group as usize];
            if budget.is_zero() {
                all_have_money = false;
                continue;
            }
            total = total.add(&budget.mul_u64(u64::from(m.voters)));
            rich_voters += u64::from(m.voters);
            if least.is_none_or(|l| budget.order(l) == Ordering::Less) {
                least = Some(budget);
            }
        }
        Money { total, rich_voters, all_have_money, least: least.cloned().unwrap_or_else(Self::zero) }
    }
}

impl Number for f64 {
    const EXACT: bool = false;

    fn zero() -> Self {
        0.0
    }

    fn from_u64(value: u64) -> Self {
        value as f64
    }

    fn ratio(numerator: u64, denominator: u64) -> Self {
        numerator as f64 / denominator as f64
    }

    fn add(&self, other: &Self) -> Self {
        self + other
    }

    fn sub(&self, other: &Self) -> Self {
        self - other
    }

    fn div(&self, other: &Self) -> Self {
        self / other
    }

    fn div_u64(&self, divisor: u64) -> Self {
        self / divisor as f64
    }

    fn mul_u64(&self, factor: u64) -> Self {
        self * factor as f64
    }

    fn is_zero(&self) -> bool {
        *self == 0.0
    }

    fn order(&self, other: &Self) -> Ordering {
        self.total_cmp(other)
    }

    fn decide(&self, other: &Self) -> Comparison {
        let scale = self.abs().max(other.abs());
        if (self - other).abs() <= TOLERANCE * scale {
            Comparison::TooClose
        } else {
            Comparison::Certain(self.total_cmp(other))
        }
    }

    fn to_f64(&self) -> f64 {
        *self
    }

    /// The same as the generic pass, in four independent sums (the order of the additions
    /// differs, within the float error allowed for).
    fn money(budgets: &[f64], members: &[Member]) -> Money<f64> {
        let mut totals = [0.0; 4];
        let mut rich = [0u64; 4];
        let mut least = [f64::INFINITY; 4];
        let mut broke = 0usize;
        let chunks = members.chunks_exact(4);
        let rest = chunks.remainder();
        let mut add = |lane: usize, m: &Member| {
            let budget = budgets[m.group as usize];
            let has = budget > 0.0;
            totals[lane] += budget * f64::from(m.voters);
            rich[lane] += if has { u64::from(m.voters) } else { 0 };
            least[lane] = least[lane].min(if has { budget } else { f64::INFINITY });
            broke += usize::from(!has);
        };
        for chunk in chunks {
            for (lane, m) in chunk.iter().enumerate() {
                add(lane, m);
            }
        }
        for m in rest {
            add(0, m);
        }
        let least = least[0].min(least[1]).min(least[2].min(least[3]));
        Money {
            total: (totals[0] + totals[1]) + (totals[2] + totals[3]),
            rich_voters: rich.iter().sum(),
            all_have_money: broke == 0,
            least: if least.is_finite() { least } else { 0.0 },
        }
    }
}

impl Number for BigRational {
    const EXACT: bool = true;

    fn zero() -> Self {
        Zero::zero()
    }

    fn from_u64(value: u64) -> Self {
        BigRational::from_integer(BigInt::from(value))
    }

    fn ratio(numerator: u64, denominator: u64) -> Self {
        BigRational::new(BigInt::from(numerator), BigInt::from(denominator))
    }

    fn add(&self, other: &Self) -> Self {
        self + other
    }

    fn sub(&self, other: &Self) -> Self {
        self - other
    }

    fn div(&self, other: &Self) -> Self {
        self / other
    }

    fn div_u64(&self, divisor: u64) -> Self {
        self / BigInt::from(divisor)
    }

    fn mul_u64(&self, factor: u64) -> Self {
        if factor == 1 {
            self.clone()
        } else {
            self * BigInt::from(factor)
        }
    }

    fn is_zero(&self) -> bool {
        Zero::is_zero(self)
    }

    fn order(&self, other: &Self) -> Ordering {
        self.cmp(other)
    }

    fn decide(&self, other: &Self) -> Comparison {
        Comparison::Certain(self.cmp(other))
    }

    fn to_f64(&self) -> f64 {
        ToPrimitive::to_f64(self).unwrap_or(f64::NAN)
    }
}
