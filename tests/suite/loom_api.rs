//! loom 0.7's public API, path by path: every item loom exports from its
//! crate root is named here through checker with loom's signature, and
//! called once inside a model where it runs. A crate that tests with loom
//! compiles against checker by renaming the dependency; this file is the
//! proof, and a signature that drifts breaks its build.

use std::alloc::Layout;
use std::sync::mpsc::{RecvError, RecvTimeoutError, SendError, TryRecvError};
use std::task::Waker;
use std::time::Duration;

use checker::sync::atomic::Ordering::{self, AcqRel, Acquire, Relaxed, Release, SeqCst};
use checker::sync::atomic::{
    AtomicBool, AtomicI8, AtomicI16, AtomicI32, AtomicI64, AtomicIsize, AtomicPtr, AtomicU8,
    AtomicU16, AtomicU32, AtomicU64, AtomicUsize,
};
use checker::sync::{
    Arc, Barrier, Condvar, LockResult, Mutex, MutexGuard, Notify, RwLock, RwLockReadGuard,
    RwLockWriteGuard, TryLockResult, WaitTimeoutResult, mpsc,
};

checker::thread_local! {
    static LOCAL: std::cell::RefCell<u32> = std::cell::RefCell::new(1);
}

checker::lazy_static! {
    static ref GLOBAL: AtomicUsize = AtomicUsize::new(7);
}

/// The crate root, `model` and `model::Builder`.
#[test]
fn root_and_model() {
    let _: usize = checker::MAX_THREADS;
    let _: fn() = checker::explore;
    let _: fn() = checker::stop_exploring;
    let _: fn() = checker::skip_branch;
    let _: fn(fn()) = |f| checker::model(f);
    let mut b: checker::model::Builder = checker::model::Builder::new();
    let _: usize = b.max_threads;
    let _: usize = b.max_branches;
    let _: Option<usize> = b.max_permutations;
    let _: Option<Duration> = b.max_duration;
    let _: Option<usize> = b.preemption_bound;
    let _: Option<std::path::PathBuf> = b.checkpoint_file.clone();
    let _: usize = b.checkpoint_interval;
    let _: bool = b.location;
    let _: bool = b.log;
    b.expect_explicit_explore = false;
    let _: for<'a> fn(&'a mut checker::model::Builder, &str) -> &'a mut checker::model::Builder =
        checker::model::Builder::checkpoint_file;
    b.max_permutations = Some(1);
    b.check(|| {});
    checker::model::model(|| {
        checker::stop_exploring();
        checker::explore();
    });
}

macro_rules! every_int_method {
    ($($a:ident: $t:ty),*) => {$({
        let a = $a::new(1);
        assert_eq!(a.load(Acquire), 1);
        a.store(2, Release);
        assert_eq!(a.swap(3, AcqRel), 2);
        let old = a.compare_and_swap(3, 4, SeqCst);
        assert_eq!(old, 3);
        assert_eq!(a.compare_exchange(4, 5, SeqCst, Relaxed), Ok(4));
        assert_eq!(a.compare_exchange_weak(9, 6, SeqCst, Relaxed), Err(5));
        assert_eq!(a.fetch_add(1, SeqCst), 5);
        assert_eq!(a.fetch_sub(1, SeqCst), 6);
        assert_eq!(a.fetch_and(7, SeqCst), 5);
        assert_eq!(a.fetch_nand(0, SeqCst), 5);
        a.store(1, SeqCst);
        assert_eq!(a.fetch_or(2, SeqCst), 1);
        assert_eq!(a.fetch_xor(1, SeqCst), 3);
        assert_eq!(a.fetch_max(9, SeqCst), 2);
        assert_eq!(a.fetch_min(0, SeqCst), 9);
        assert_eq!(a.fetch_update(SeqCst, SeqCst, |v| Some(v + 1)), Ok(0));
        // SAFETY-free check of the signature: unsync_load is unsafe in loom.
        let _: unsafe fn(&$a) -> $t = $a::unsync_load;
        let mut a = a;
        assert_eq!(a.with_mut(|v: &mut $t| { *v += 1; *v }), 2);
        let _: fn($t) -> $a = $a::new;
        assert_eq!(a.into_inner(), 2);
    })*};
}

/// `sync::atomic`: every type, every method loom has.
#[test]
fn atomics() {
    checker::model(|| {
        every_int_method!(
            AtomicU8: u8, AtomicU16: u16, AtomicU32: u32, AtomicU64: u64, AtomicUsize: usize,
            AtomicI8: i8, AtomicI16: i16, AtomicI32: i32, AtomicI64: i64, AtomicIsize: isize
        );
        let b = AtomicBool::new(false);
        assert!(!b.load(SeqCst));
        b.store(true, SeqCst);
        assert!(b.swap(false, SeqCst));
        let old = b.compare_and_swap(false, true, SeqCst);
        assert!(!old);
        assert_eq!(b.compare_exchange(true, false, SeqCst, SeqCst), Ok(true));
        assert_eq!(b.compare_exchange_weak(true, false, SeqCst, SeqCst), Err(false));
        assert!(!b.fetch_and(true, SeqCst));
        assert!(!b.fetch_nand(true, SeqCst));
        assert!(b.fetch_or(false, SeqCst));
        assert!(b.fetch_xor(true, SeqCst));
        assert_eq!(b.fetch_update(SeqCst, SeqCst, |v| Some(!v)), Ok(false));
        let _: unsafe fn(&AtomicBool) -> bool = AtomicBool::unsync_load;
        assert!(b.into_inner());

        let mut x = 5u32;
        let mut y = 6u32;
        let p = AtomicPtr::new(&mut x as *mut u32);
        assert_eq!(p.load(SeqCst), &mut x as *mut u32);
        p.store(&mut y, SeqCst);
        assert_eq!(p.swap(&mut x, SeqCst), &mut y as *mut u32);
        let old = p.compare_and_swap(&mut x, &mut y, SeqCst);
        assert_eq!(old, &mut x as *mut u32);
        assert!(p.compare_exchange(&mut y, &mut x, SeqCst, SeqCst).is_ok());
        assert!(p.compare_exchange_weak(&mut y, &mut x, SeqCst, SeqCst).is_err());
        assert!(p.fetch_update(SeqCst, SeqCst, Some).is_ok());
        let _: unsafe fn(&AtomicPtr<u32>) -> *mut u32 = AtomicPtr::unsync_load;
        let mut p = p;
        p.with_mut(|q: &mut *mut u32| *q = &mut y);
        assert_eq!(p.into_inner(), &mut y as *mut u32);

        let _: fn(Ordering) = checker::sync::atomic::fence;
        let _: fn() = checker::sync::atomic::spin_loop_hint;
        checker::sync::atomic::fence(SeqCst);
        #[allow(deprecated)]
        checker::sync::atomic::spin_loop_hint();
    });
}

/// `sync`: Arc, Mutex, RwLock, Condvar, Barrier, Notify, mpsc.
#[test]
fn sync() {
    checker::model(|| {
        let a: Arc<u32> = Arc::new(1);
        let b = a.clone();
        assert_eq!(Arc::strong_count(&a), 2);
        assert!(Arc::ptr_eq(&a, &b));
        let _: *const u32 = Arc::as_ptr(&a);
        drop(b);
        let mut a = a;
        *Arc::get_mut(&mut a).unwrap() += 1;
        assert_eq!(Arc::try_unwrap(a), Ok(2));
        let from_std: Arc<u32> = Arc::from_std(std::sync::Arc::new(3));
        assert_eq!(*from_std, 3);
        let std: std::sync::Arc<[u8]> = std::sync::Arc::new([1, 2, 3]);
        let bytes: Arc<[u8]> = Arc::from_std(std);
        let std: std::sync::Arc<dyn Send + Sync> = std::sync::Arc::new([1, 2, 3]);
        let any: Arc<dyn Send + Sync> = Arc::from_std(std);
        let _: for<'a> fn(&'a mut Arc<[u8]>) -> Option<&'a mut [u8]> = Arc::get_mut;
        let _: fn(&Arc<[u8]>) -> usize = Arc::strong_count;
        type Bytes = Arc<[u8]>;
        let _: fn(&Bytes, &Bytes) -> bool = Arc::ptr_eq;
        let _: fn(&Arc<dyn Send + Sync>) -> *const (dyn Send + Sync) = Arc::as_ptr;
        let _: fn(Arc<[u8]>) -> *const [u8] = Arc::into_raw;
        let _: unsafe fn(*const [u8]) -> Arc<[u8]> = Arc::from_raw;
        let _: unsafe fn(*const [u8]) = Arc::increment_strong_count;
        let _: unsafe fn(*const [u8]) = Arc::decrement_strong_count;
        let _: fn(u32) -> std::pin::Pin<Arc<u32>> = Arc::pin;
        let pinned = Arc::pin(4u32);
        assert_eq!(*pinned, 4);
        let raw = Arc::into_raw(bytes);
        // SAFETY: from `into_raw` just above; two counts, each released once.
        unsafe {
            Arc::increment_strong_count(raw);
            Arc::decrement_strong_count(raw);
            assert_eq!(*Arc::from_raw(raw), [1, 2, 3]);
        }
        drop(any);

        let m: Mutex<u32> = Mutex::new(1);
        {
            let g: LockResult<MutexGuard<'_, u32>> = m.lock();
            assert_eq!(*g.unwrap(), 1);
        }
        let t: TryLockResult<MutexGuard<'_, u32>> = m.try_lock();
        drop(t);
        let mut m = m;
        *m.get_mut().unwrap() = 2;
        assert_eq!(m.into_inner().unwrap(), 2);

        let l: RwLock<u32> = RwLock::new(1);
        {
            let r: LockResult<RwLockReadGuard<'_, u32>> = l.read();
            assert_eq!(*r.unwrap(), 1);
        }
        {
            let w: LockResult<RwLockWriteGuard<'_, u32>> = l.write();
            *w.unwrap() = 2;
        }
        assert_eq!(*l.try_read().unwrap(), 2);
        drop(l.try_write().unwrap());
        let mut l = l;
        *l.get_mut().unwrap() = 3;
        assert_eq!(l.into_inner().unwrap(), 3);

        let c = Condvar::new();
        let m = Mutex::new(false);
        c.notify_one();
        c.notify_all();
        let (g, r): (MutexGuard<'_, bool>, WaitTimeoutResult) =
            c.wait_timeout(m.lock().unwrap(), Duration::from_millis(1)).unwrap();
        let _: bool = r.timed_out();
        drop(g);
        let _: for<'a> fn(&Condvar, MutexGuard<'a, bool>) -> LockResult<MutexGuard<'a, bool>> =
            Condvar::wait;

        let barrier = Barrier::new(1);
        // loom's `Barrier::wait` returns std's result type (and is
        // unimplemented); checker's has the same `is_leader`.
        assert!(barrier.wait().is_leader());

        let n = Notify::new();
        n.notify();
        n.wait();

        let (tx, rx): (mpsc::Sender<u32>, mpsc::Receiver<u32>) = mpsc::channel();
        let sent: Result<(), SendError<u32>> = tx.send(1);
        sent.unwrap();
        let got: Result<u32, RecvError> = rx.recv();
        assert_eq!(got, Ok(1));
        let empty: Result<u32, TryRecvError> = rx.try_recv();
        assert_eq!(empty, Err(TryRecvError::Empty));
        tx.send(2).unwrap();
        let timed: Result<u32, RecvTimeoutError> = rx.recv_timeout(Duration::from_millis(1));
        assert_eq!(timed, Ok(2));
    });
}

/// `cell`, `alloc`, `hint`.
#[test]
fn cell_alloc_hint() {
    checker::model(|| {
        let c = checker::cell::UnsafeCell::new(1u32);
        let at: *const u32 = c.with(|p: *const u32| p);
        c.with_mut(|p: *mut u32| assert_eq!(p.cast_const(), at));
        let cp: checker::cell::ConstPtr<u32> = c.get();
        cp.with(|p: *const u32| assert_eq!(p, at));
        let _: unsafe fn(&checker::cell::ConstPtr<u32>) -> &u32 = checker::cell::ConstPtr::deref;
        drop(cp);
        let mp: checker::cell::MutPtr<u32> = c.get_mut();
        mp.with(|p: *mut u32| assert_eq!(p.cast_const(), at));
        let _: unsafe fn(&checker::cell::MutPtr<u32>) -> &mut u32 = checker::cell::MutPtr::deref;
        drop(mp);
        assert_eq!(c.into_inner(), 1);

        let cell = checker::cell::Cell::new(1u32);
        cell.set(2);
        assert_eq!(cell.replace(3), 2);
        assert_eq!(cell.get(), 3);
        let other = checker::cell::Cell::new(4u32);
        cell.swap(&other);
        assert_eq!(cell.take(), 4);
        assert_eq!(other.into_inner(), 3);

        let _: unsafe fn(Layout) -> *mut u8 = checker::alloc::alloc;
        let _: unsafe fn(Layout) -> *mut u8 = checker::alloc::alloc_zeroed;
        let _: unsafe fn(*mut u8, Layout) = checker::alloc::dealloc;
        let layout: checker::alloc::Layout = Layout::new::<u64>();
        // SAFETY: the layout has a non-zero size.
        let p = unsafe { checker::alloc::alloc_zeroed(layout) };
        assert!(!p.is_null());
        // SAFETY: `p` was allocated above with this layout and is not used after.
        unsafe { checker::alloc::dealloc(p, layout) };
        let mut t = checker::alloc::Track::new(1u32);
        assert_eq!(*t.get_ref(), 1);
        *t.get_mut() = 2;
        assert_eq!(t.into_inner(), 2);

        let _: fn() = checker::hint::spin_loop;
        let _: unsafe fn() -> ! = checker::hint::unreachable_unchecked;
        checker::hint::spin_loop();
    });
}

/// `thread`, `thread_local!`, `lazy_static!` and the `lazy_static` module.
#[test]
fn thread_and_statics() {
    checker::model(|| {
        let h: checker::thread::JoinHandle<u32> = checker::thread::spawn(|| 1);
        let t: &checker::thread::Thread = h.thread();
        let _: checker::thread::ThreadId = t.id();
        let _: Option<&str> = t.name();
        t.unpark();
        assert_eq!(h.join().unwrap(), 1);
        let b: checker::thread::Builder =
            checker::thread::Builder::new().name("named".to_string()).stack_size(1 << 16);
        let h: std::io::Result<checker::thread::JoinHandle<Option<String>>> =
            b.spawn(|| checker::thread::current().name().map(str::to_string));
        assert_eq!(h.unwrap().join().unwrap().as_deref(), Some("named"));
        checker::thread::current().unpark();
        checker::thread::park();
        checker::thread::yield_now();
        let _: fn() -> bool = checker::thread::panicking;
        assert!(!checker::thread::panicking());

        let key: &'static checker::thread::LocalKey<std::cell::RefCell<u32>> = &LOCAL;
        assert_eq!(key.with(|v| *v.borrow()), 1);
        let r: Result<u32, checker::thread::AccessError> = LOCAL.try_with(|v| *v.borrow());
        assert_eq!(r, Ok(1));

        assert_eq!(GLOBAL.load(SeqCst), 7);
        let _: fn() = checker::lazy_static::yield_now;
        let _: fn() -> bool = checker::lazy_static::panicking;
        let _: Option<checker::lazy_static::AccessError> = None;
        let _: fn(&'static checker::lazy_static::Lazy<u32>) -> &'static u32 =
            checker::lazy_static::Lazy::get;
    });
}

/// `future`.
#[test]
fn future() {
    checker::model(|| {
        assert_eq!(checker::future::block_on(async { 5 }), 5);
        let w = checker::future::AtomicWaker::new();
        let waker: Waker = Waker::noop().clone();
        w.register(waker.clone());
        w.register_by_ref(&waker);
        assert!(w.take_waker().is_some());
        w.wake();
        let _: fn() -> checker::future::AtomicWaker = checker::future::AtomicWaker::new;
    });
}
