//! The two kinds of numbers the method of equal shares runs on.
//!
//! Runs use `f64` first: fast, and every decision it takes is certified. Two numbers
//! closer than [`TOLERANCE`] (relative) are "too close to call" in floats, and a run
//! that would have to decide on such a pair is redone with exact fractions
//! ([`BigRational`]), which is what pabutools uses. Float errors here are around
//! 1e-13 relative (a few dozen rounded operations on amounts below 2^53), far inside the
//! tolerance, so a certified float decision is the exact decision.

use std::cmp::Ordering;

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{ToPrimitive, Zero};

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
    fn is_zero(&self) -> bool;
    /// Exact-or-float order, used inside a computation (water levels, payments).
    fn order(&self, other: &Self) -> Ordering;
    /// Order as a decision: exact, or certain only outside the tolerance.
    fn decide(&self, other: &Self) -> Comparison;
    fn to_f64(&self) -> f64;
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
