use checker::model::Builder;
use checker::sync::atomic::{AtomicUsize, Ordering};
use checker::sync::{Arc, Mutex};
use checker::thread;

fn main() {
    let b = Builder::new();
    let o = b
        .run(|| {
            let n = Arc::new(AtomicUsize::new(0));
            let hs: Vec<_> = (0..2)
                .map(|_| {
                    let n = n.clone();
                    thread::spawn(move || {
                        n.fetch_add(1, Ordering::SeqCst);
                    })
                })
                .collect();
            for h in hs {
                h.join().unwrap();
            }
            assert_eq!(n.load(Ordering::SeqCst), 2);
        })
        .unwrap();
    println!("{}", o.summary());
    let o = b
        .run(|| {
            let n = Arc::new(AtomicUsize::new(0));
            let hs: Vec<_> = (0..2)
                .map(|_| {
                    let n = n.clone();
                    thread::spawn(move || {
                        let v = n.load(Ordering::SeqCst);
                        n.store(v + 1, Ordering::SeqCst);
                    })
                })
                .collect();
            for h in hs {
                h.join().unwrap();
            }
            assert_eq!(n.load(Ordering::SeqCst), 2, "lost update");
        })
        .unwrap();
    println!("{}", o.summary());
    if let Some(r) = &o.failure {
        println!("{r}");
    }
    let o = b
        .run(|| {
            let a = Arc::new(Mutex::new(0));
            let bb = Arc::new(Mutex::new(0));
            let h = {
                let a = a.clone();
                let bb = bb.clone();
                thread::spawn(move || {
                    let _x = a.lock().unwrap();
                    let _y = bb.lock().unwrap();
                })
            };
            {
                let _y = bb.lock().unwrap();
                let _x = a.lock().unwrap();
            }
            h.join().unwrap();
        })
        .unwrap();
    println!("{}", o.summary());
    if let Some(r) = &o.failure {
        println!("{r}");
    }
}
