//! Writes a synthetic approval election as a PaBuLib `.pb` file, for the benchmark of
//! issue 7 (`tests/load/budgets/run.sh`). Deterministic: the same options give the same
//! bytes.
//!
//! `cargo run --release -p budget-rules --example generate -- OUT.pb [--seed N]
//! [--voters N] [--projects N] [--districts N] [--budget N]`
//!
//! Defaults: seed 7, 500,000 voters, 200 projects, 10 districts, budget 40,000,000.
//! The shape follows real city-wide PB (Warsaw, Kraków, Wieliczka in PaBuLib):
//!
//! - a quarter of the projects are city-wide, the others belong to one district each;
//! - costs are log-uniform between 1 % and 15 % of the budget, rounded to 100;
//! - within the city-wide pool and within each district, popularity follows Zipf's law
//!   (weight 1/rank^0.9, ranks shuffled, so popularity is unrelated to the project id
//!   and to the cost);
//! - district populations differ (weights uniform in 0.5..2);
//! - each voter approves 1 to 10 projects, P(k) ∝ 0.72^(k−1) (mean about 3; Wieliczka
//!   2023's mean is 2.5), each approval from the voter's own district with probability
//!   0.55 and from the city-wide pool otherwise, without repeats.

#![allow(clippy::expect_used)] // a tool run by hand: a failure may stop it

use std::fmt::Write as _;
use std::io::Write as _;

/// SplitMix64: small, fast, and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// Items with weights, drawn by binary search on the cumulative weights.
struct Pool {
    items: Vec<usize>,
    cumulative: Vec<f64>,
}

impl Pool {
    fn new(items: Vec<usize>, weights: &[f64]) -> Self {
        let mut total = 0.0;
        let cumulative = weights
            .iter()
            .map(|w| {
                total += w;
                total
            })
            .collect();
        Self { items, cumulative }
    }

    fn draw(&self, rng: &mut Rng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let x = rng.unit() * total;
        let i = self.cumulative.partition_point(|&c| c <= x).min(self.items.len() - 1);
        self.items[i]
    }
}

struct Options {
    out: String,
    seed: u64,
    voters: usize,
    projects: usize,
    districts: usize,
    budget: u64,
}

fn options() -> Options {
    let mut args = std::env::args().skip(1);
    let mut options =
        Options { out: String::new(), seed: 7, voters: 500_000, projects: 200, districts: 10, budget: 40_000_000 };
    while let Some(arg) = args.next() {
        let mut value = |name: &str| -> u64 {
            args.next().and_then(|v| v.replace('_', "").parse().ok()).unwrap_or_else(|| {
                eprintln!("{name} needs a number");
                std::process::exit(2)
            })
        };
        match arg.as_str() {
            "--seed" => options.seed = value("--seed"),
            "--voters" => options.voters = value("--voters") as usize,
            "--projects" => options.projects = value("--projects") as usize,
            "--districts" => options.districts = value("--districts") as usize,
            "--budget" => options.budget = value("--budget"),
            _ if options.out.is_empty() && !arg.starts_with("--") => options.out = arg,
            _ => {
                eprintln!("usage: generate OUT.pb [--seed N] [--voters N] [--projects N] [--districts N] [--budget N]");
                std::process::exit(2)
            }
        }
    }
    if options.out.is_empty() || options.districts == 0 || options.projects < 4 * (options.districts + 1) {
        eprintln!("usage: generate OUT.pb [--seed N] [--voters N] [--projects N] [--districts N] [--budget N]");
        eprintln!("(at least 4 projects per district and 4 city-wide)");
        std::process::exit(2)
    }
    options
}

/// Zipf weights 1/rank^0.9 over `n` items, ranks shuffled.
fn zipf_weights(rng: &mut Rng, n: usize) -> Vec<f64> {
    let mut ranks: Vec<usize> = (1..=n).collect();
    rng.shuffle(&mut ranks);
    ranks.iter().map(|&r| 1.0 / (r as f64).powf(0.9)).collect()
}

fn main() {
    let o = options();
    let mut rng = Rng(o.seed);

    // Projects: the first quarter city-wide, the rest spread over the districts.
    let city_count = o.projects / 4;
    let district_of: Vec<Option<usize>> =
        (0..o.projects).map(|p| (p >= city_count).then(|| (p - city_count) % o.districts)).collect();
    let (low, high) = (0.01 * o.budget as f64, 0.15 * o.budget as f64);
    let costs: Vec<u64> = (0..o.projects)
        .map(|_| {
            let cost = (low.ln() + rng.unit() * (high.ln() - low.ln())).exp();
            ((cost / 100.0).round() as u64).max(1) * 100
        })
        .collect();
    let pool_of = |district: Option<usize>, rng: &mut Rng| {
        let items: Vec<usize> = (0..o.projects).filter(|&p| district_of[p] == district).collect();
        let weights = zipf_weights(rng, items.len());
        Pool::new(items, &weights)
    };
    let city = pool_of(None, &mut rng);
    let districts: Vec<Pool> = (0..o.districts).map(|d| pool_of(Some(d), &mut rng)).collect();
    let district_sizes: Vec<f64> = (0..o.districts).map(|_| 0.5 + 1.5 * rng.unit()).collect();
    let homes = Pool::new((0..o.districts).collect(), &district_sizes);
    let lengths: Vec<f64> = (0..10).map(|k| 0.72f64.powi(k)).collect();
    let length = Pool::new((1..=10).collect(), &lengths);

    let mut votes = vec![0usize; o.projects];
    let mut ballots = String::with_capacity(o.voters * 24);
    let mut ballot: Vec<usize> = Vec::with_capacity(10);
    for voter in 1..=o.voters {
        let home = &districts[homes.draw(&mut rng)];
        let k = length.draw(&mut rng);
        ballot.clear();
        let mut tries = 0;
        while ballot.len() < k && tries < 1000 {
            tries += 1;
            let pool = if rng.unit() < 0.55 { home } else { &city };
            let p = pool.draw(&mut rng);
            if !ballot.contains(&p) {
                ballot.push(p);
            }
        }
        let _ = write!(ballots, "{voter};");
        for (i, &p) in ballot.iter().enumerate() {
            votes[p] += 1;
            let _ = write!(ballots, "{}{}", if i > 0 { "," } else { "" }, p + 1);
        }
        ballots.push('\n');
    }

    let mut text = String::with_capacity(ballots.len() + 16 * 1024);
    let _ = writeln!(text, "META\nkey;value");
    let _ = writeln!(
        text,
        "description;Synthetic city-wide PB for the budget-rules benchmark (budget-rules/examples/generate.rs)"
    );
    let _ = writeln!(text, "country;Synthetic\nunit;Generated city\ninstance;seed {}", o.seed);
    let _ = writeln!(text, "num_projects;{}\nnum_votes;{}\nbudget;{}", o.projects, o.voters, o.budget);
    let _ = writeln!(text, "vote_type;approval\nrule;equalshares/add1\nmin_length;1\nmax_length;10\ncurrency;PLN");
    let _ = writeln!(text, "PROJECTS\nproject_id;cost;votes;name;district");
    for p in 0..o.projects {
        let (name, district) = match district_of[p] {
            Some(d) => (format!("District {} project {}", d + 1, p + 1), format!("{}", d + 1)),
            None => (format!("City-wide project {}", p + 1), "city".to_string()),
        };
        let _ = writeln!(text, "{};{};{};{name};{district}", p + 1, costs[p], votes[p]);
    }
    let _ = writeln!(text, "VOTES\nvoter_id;vote");
    text.push_str(&ballots);

    let mut file = std::io::BufWriter::new(std::fs::File::create(&o.out).expect("create the output file"));
    file.write_all(text.as_bytes()).expect("write");
    file.flush().expect("write");
    let approvals: usize = votes.iter().sum();
    eprintln!(
        "wrote {}: {} projects (total cost {}, {:.1}× the budget), {} voters, {} approvals ({:.2} per voter), most votes {}",
        o.out,
        o.projects,
        costs.iter().sum::<u64>(),
        costs.iter().sum::<u64>() as f64 / o.budget as f64,
        o.voters,
        approvals,
        approvals as f64 / o.voters as f64,
        votes.iter().max().copied().unwrap_or(0)
    );
}
