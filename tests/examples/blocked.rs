//! How often do generated programs make DPOR sleep-set blocked?
use checker::model::{Builder, StrategyKind};
use checker_tests::programs::{Shape, generate};
fn main() {
    let shapes = [
        (
            "two",
            Shape {
                threads: 2..=2,
                length: 1..=4,
                total: 8,
                vars: 1..=3,
                mutexes: 0,
                model_arc_one_in: 0,
                branches: false,
            },
        ),
        (
            "many",
            Shape {
                threads: 3..=4,
                length: 1..=2,
                total: 6,
                vars: 1..=4,
                mutexes: 0,
                model_arc_one_in: 0,
                branches: false,
            },
        ),
        (
            "branch",
            Shape {
                threads: 3..=4,
                length: 1..=2,
                total: 7,
                vars: 2..=4,
                mutexes: 0,
                model_arc_one_in: 0,
                branches: true,
            },
        ),
        (
            "big",
            Shape {
                threads: 3..=5,
                length: 2..=3,
                total: 12,
                vars: 2..=4,
                mutexes: 0,
                model_arc_one_in: 0,
                branches: true,
            },
        ),
    ];
    for (name, shape) in shapes {
        let (mut blocked, mut total, mut sum_red, mut sum_exec) = (0, 0, 0, 0);
        for seed in 0..300u64 {
            let p = generate(seed * 7919 + 1, &shape);
            let mut b = Builder::new();
            b.strategy = StrategyKind::Dpor;
            b.max_permutations = Some(100_000);
            let o = b
                .run(move || {
                    p.run();
                })
                .unwrap();
            total += 1;
            if o.redundant > 0 {
                blocked += 1;
            }
            sum_red += o.redundant;
            sum_exec += o.executions;
        }
        println!(
            "{name}: {blocked}/{total} programs sleep-set blocked; {sum_red} redundant of {sum_exec} executions"
        );
    }
}
