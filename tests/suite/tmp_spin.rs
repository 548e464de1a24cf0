use checker::sync::Arc;
use checker::sync::atomic::{AtomicUsize, Ordering};

#[test]
fn tmp_ticket() {
    checker::model(|| {
        let state = Arc::new((AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0)));
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let s = Arc::clone(&state);
                checker::thread::spawn(move || {
                    let (next, serving, counter) = &*s;
                    let ticket = next.fetch_add(1, Ordering::Relaxed);
                    while serving.load(Ordering::Acquire) != ticket {
                        checker::hint::spin_loop();
                    }
                    counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
                    serving.store(ticket + 1, Ordering::Release);
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    });
}
