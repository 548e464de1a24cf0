use checker::sync::Arc;
use checker::sync::atomic::{AtomicBool, AtomicUsize, Ordering, fence};

#[test]
fn tmp_peterson() {
    checker::model(|| {
        let state = Arc::new((
            [AtomicBool::new(false), AtomicBool::new(false)],
            AtomicUsize::new(0),
            AtomicUsize::new(0),
        ));
        let handles: Vec<_> = (0..2)
            .map(|me| {
                let s = Arc::clone(&state);
                checker::thread::spawn(move || {
                    let (flag, turn, counter) = &*s;
                    let other = 1 - me; if std::env::var("SPIN_DEBUG").is_ok() { let l = 0u64; eprintln!("closure local {:x} me {:x}", std::hint::black_box(&l) as *const u64 as usize, &me as *const usize as usize); }
                    flag[me].store(true, Ordering::Relaxed);
                    turn.swap(other, Ordering::AcqRel);
                    fence(Ordering::SeqCst);
                    while flag[other].load(Ordering::Acquire) && turn.load(Ordering::Relaxed) == other {
                        checker::hint::spin_loop();
                    }
                    counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
                    flag[me].store(false, Ordering::Release);
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(state.2.load(Ordering::Relaxed), 2);
    });
}
