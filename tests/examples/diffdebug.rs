//! Debugging aid: runs one generated program under a strategy and bound,
//! printing every execution's schedule.
use checker::model::{Builder, StrategyKind};
use checker_tests::programs::{Shape, generate};
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seed = u64::from_str_radix(args[1].trim_start_matches("0x"), 16).unwrap();
    let shape = match args[2].as_str() {
        "many" if false => unreachable!(),
        "two" => Shape {
            threads: 2..=2,
            length: 1..=4,
            total: 8,
            vars: 1..=3,
            mutexes: 0,
            rwlocks: 0,
            model_arc_one_in: 0,
            branches: false,
            condvars: 0,
            spins: false,
            forks: false,
        },
        "spin" => Shape {
            threads: 2..=3,
            length: 1..=3,
            total: 5,
            vars: 1..=2,
            mutexes: 0,
            rwlocks: 0,
            model_arc_one_in: 0,
            branches: false,
            condvars: 0,
            spins: true,
            forks: false,
        },
        "many" => Shape {
            threads: 3..=4,
            length: 1..=2,
            total: 6,
            vars: 1..=4,
            mutexes: 0,
            rwlocks: 0,
            model_arc_one_in: 0,
            branches: false,
            condvars: 0,
            spins: false,
            forks: false,
        },
        "locks" => Shape {
            threads: 2..=3,
            length: 1..=3,
            total: 7,
            vars: 1..=2,
            mutexes: 2,
            rwlocks: 0,
            model_arc_one_in: 0,
            branches: false,
            condvars: 0,
            spins: false,
            forks: false,
        },
        "rwlock" => Shape {
            threads: 2..=3,
            length: 1..=3,
            total: 6,
            vars: 1..=2,
            mutexes: 0,
            rwlocks: 2,
            model_arc_one_in: 0,
            branches: false,
            condvars: 0,
            spins: false,
            forks: false,
        },
        "arc" => Shape {
            threads: 2..=3,
            length: 1..=2,
            total: 5,
            vars: 1..=2,
            mutexes: 1,
            rwlocks: 0,
            model_arc_one_in: 1,
            branches: false,
            condvars: 0,
            spins: false,
            forks: false,
        },
        _ => Shape {
            threads: 2..=4,
            length: 1..=3,
            total: 7,
            vars: 1..=3,
            mutexes: 1,
            rwlocks: 0,
            model_arc_one_in: 4,
            branches: true,
            condvars: 0,
            spins: false,
            forks: false,
        },
    };
    let p = generate(seed, &shape);
    println!("{p:?}");
    let mut b = Builder::new();
    b.strategy = if args[3] == "dfs" { StrategyKind::Dfs } else { StrategyKind::Dpor };
    b.preemption_bound = args.get(4).map(|s| s.parse().unwrap());
    b.count_traces = true;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(std::collections::BTreeSet::new()));
    let s2 = seen.clone();
    let o = b
        .run(move || {
            let r = p.run();
            s2.lock().unwrap().insert(r);
        })
        .unwrap();
    println!("{} traces {:?}", o.summary(), o.traces);
    for x in seen.lock().unwrap().iter() {
        println!("{x:?}");
    }
}
