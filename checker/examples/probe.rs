use checker::model::Builder;
use checker::sync::Arc;
use checker::sync::atomic::{AtomicUsize, Ordering};
use checker::thread;
fn lastzero(n: usize) {
    let a: Arc<Vec<AtomicUsize>> = Arc::new((0..=n).map(|_| AtomicUsize::new(0)).collect());
    let reader = {
        let a = a.clone();
        thread::spawn(move || {
            let mut i = n;
            while a[i].load(Ordering::SeqCst) != 0 {
                i -= 1;
            }
            i
        })
    };
    let ws: Vec<_> = (1..=n)
        .map(|j| {
            let a = a.clone();
            thread::spawn(move || {
                let v = a[j - 1].load(Ordering::SeqCst);
                a[j].store(v + 1, Ordering::SeqCst);
            })
        })
        .collect();
    reader.join().unwrap();
    for w in ws {
        w.join().unwrap();
    }
}
fn main() {
    for n in [3usize, 4, 5, 6, 7, 8, 9, 10] {
        let mut b = Builder::new();
        b.count_traces = n <= 7;
        let o = b.run(move || lastzero(n)).unwrap();
        println!(
            "lastzero({n}): {} executions, {} redundant, traces {:?} (optimal {}), {:.2}s",
            o.executions,
            o.redundant,
            o.traces,
            (n + 3) << (n - 2),
            o.elapsed.as_secs_f64()
        );
    }
}
