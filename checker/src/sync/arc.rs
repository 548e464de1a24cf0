//! `Arc`, shaped like `std::sync::Arc` and loom's.
//!
//! A handle is two std `Arc`s: the value's own allocation (so that
//! [`Arc::from_std`] takes any std `Arc`, unsized ones included, without
//! moving the value) and the allocation's [`Meta`], which names it to the
//! engine and is shared with the `Weak` handles. A raw pointer from
//! [`Arc::into_raw`] or [`Arc::as_ptr`] (std documents them as the same
//! pointer) carries only the value's address, so the allocation's `Meta`
//! waits in a registry, by address, until the value is dropped.
//!
//! std trusts the caller to release each count once; a count released
//! twice (`from_raw` of a pointer that owned none) frees the value under a
//! live handle. checker notices when that handle is used next, and panics
//! there instead of touching freed memory.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{self, AtomicBool};

use scheduler::ids::ObjectId;
use scheduler::op::{Op, Reply};
use scheduler::rt;
use scheduler::{LazyObject, ObjectInit, ObjectState};

/// What identifies an allocation to the engine. Shared with the `Weak`
/// handles, which outlive the value.
struct Meta {
    object: LazyObject,
    created: &'static Location<'static>,
    /// A handle was turned into a raw pointer: the allocation has an entry
    /// in [`RAW`] until its value is dropped.
    raw: AtomicBool,
    /// The value was dropped while raw pointers were in play: a handle
    /// still alive was over-released, and must not touch the allocation.
    dropped: AtomicBool,
}

/// The `Meta` of every allocation whose value is alive and was handed out
/// by [`Arc::into_raw`], by the value's address. Only the raw-pointer
/// functions and the end of such a value touch it.
static RAW: Mutex<BTreeMap<usize, std::sync::Arc<Meta>>> = Mutex::new(BTreeMap::new());

fn raw_registry() -> std::sync::MutexGuard<'static, BTreeMap<usize, std::sync::Arc<Meta>>> {
    // The map is consistent after every operation on it: a panic elsewhere
    // while it was locked does not matter.
    RAW.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The address a raw pointer to `T` is registered under (its metadata, for
/// an unsized `T`, left out).
fn address<T: ?Sized>(ptr: *const T) -> usize {
    ptr.cast::<()>() as usize
}

/// The allocation's object in the running execution; bound with the counts
/// std has for it (an `Arc` made outside the model, or first used from a
/// `Weak` after its value was dropped).
fn bind(meta: &Meta, strong: usize, weak: usize) -> ObjectId {
    rt::object(&meta.object, || ObjectInit {
        type_name: "Arc",
        created: meta.created,
        state: ObjectState::Arc { count: strong as u64, weak: weak as u64 },
    })
}

/// One strong handle: the value's allocation and its `Meta`.
struct Handle<T: ?Sized> {
    meta: std::sync::Arc<Meta>,
    value: std::sync::Arc<T>,
}

impl<T: ?Sized> Handle<T> {
    /// Gives the handle up. If it held the value's last strong count, the
    /// value is dropped here, and its raw-pointer entry goes with it.
    fn release(self) {
        let Handle { meta, value } = self;
        if !meta.raw.load(atomic::Ordering::Acquire) {
            return;
        }
        let at = address(std::sync::Arc::as_ptr(&value));
        let watch = std::sync::Arc::downgrade(&value);
        drop(value);
        if watch.strong_count() == 0 {
            unregister(at, &meta);
        }
    }
}

/// Lets [`Arc::from_raw`] find the allocation of the value at `ptr`, until
/// the value is dropped.
fn register<T: ?Sized>(ptr: *const T, meta: &std::sync::Arc<Meta>) {
    if !meta.raw.load(atomic::Ordering::Acquire) {
        // The registry is checker's, not the model's: its nodes stay out of
        // the model heap (a block alive past the execution would move the
        // next one's addresses).
        scheduler::heap::outside_model(|| {
            raw_registry().insert(address(ptr), std::sync::Arc::clone(meta))
        });
        meta.raw.store(true, atomic::Ordering::Release);
    }
}

/// The value at `at`, of the allocation `meta` describes, was dropped.
fn unregister(at: usize, meta: &std::sync::Arc<Meta>) {
    meta.dropped.store(true, atomic::Ordering::Release);
    let mut registry = raw_registry();
    // Another allocation may have been registered at the address since.
    if registry.get(&at).is_some_and(|m| std::sync::Arc::ptr_eq(m, meta)) {
        registry.remove(&at);
    }
}

/// A thread-safe reference-counted pointer.
///
/// Dropping a handle is a step: the last drop runs the destructor, so which
/// thread drops last, and when, is part of what the model checker explores.
/// Cloning is not a step (an increment of a count that is at least one
/// changes no other operation's outcome), nor is [`Arc::downgrade`]; reading
/// a count and [`Weak::upgrade`] are. A raw pointer from [`Arc::into_raw`]
/// keeps its handle's count: an allocation whose raw pointer is never turned
/// back into a handle is reported as leaked.
pub struct Arc<T: ?Sized> {
    /// Invariant: `Some` until the handle is dropped or consumed.
    inner: Option<Handle<T>>,
}

impl<T> Arc<T> {
    /// A new `Arc` holding `value`.
    #[track_caller]
    pub fn new(value: T) -> Arc<T> {
        Arc::from_std(std::sync::Arc::new(value))
    }

    /// A new pinned `Arc` holding `value`: the value never moves.
    #[track_caller]
    pub fn pin(value: T) -> Pin<Arc<T>> {
        // SAFETY: the value lives in its own heap allocation until its last
        // handle is dropped. Nothing reachable from a `Pin<Arc<T>>` moves it:
        // `Arc` hands out only shared references (no `DerefMut`), and taking
        // the value out (`try_unwrap`, `into_inner`) needs the `Arc` itself,
        // which `Pin` gives back only for `T: Unpin` or through
        // `Pin::into_inner_unchecked`, whose caller vouches for it.
        unsafe { Pin::new_unchecked(Arc::new(value)) }
    }

    /// The value if this is the only handle; otherwise the handle back (a
    /// step: it reads the handle count).
    #[track_caller]
    pub fn try_unwrap(mut this: Arc<T>) -> Result<T, Arc<T>> {
        if rt::in_model() {
            let object = this.object();
            match rt::perform(Op::ArcTryUnwrap { object }, Location::caller()) {
                Reply::Exchange { ok: true, .. } => {}
                _ => return Err(this),
            }
        }
        let Handle { meta, value } = this.inner.take().expect("a live handle");
        let at = address(std::sync::Arc::as_ptr(&value));
        match std::sync::Arc::try_unwrap(value) {
            Ok(value) => {
                if meta.raw.load(atomic::Ordering::Acquire) {
                    unregister(at, &meta);
                }
                Ok(value)
            }
            Err(value) => Err(Arc { inner: Some(Handle { meta, value }) }),
        }
    }

    /// The value if this is the last handle (a step: it drops the handle).
    #[track_caller]
    pub fn into_inner(mut this: Arc<T>) -> Option<T> {
        this.drop_step(Location::caller());
        let Handle { meta, value } = this.inner.take().expect("a live handle");
        let at = address(std::sync::Arc::as_ptr(&value));
        let value = std::sync::Arc::into_inner(value);
        if value.is_some() && meta.raw.load(atomic::Ordering::Acquire) {
            unregister(at, &meta);
        }
        value
    }
}

impl<T: ?Sized> Arc<T> {
    /// Turns a std `Arc` into a model one, the value staying where it is
    /// (loom's constructor). This is how an `Arc` of an unsized value is
    /// made: `Arc::from_std(std::sync::Arc::<[u8]>::from(vec))`, or one of a
    /// `dyn Trait` from a coerced std `Arc`.
    ///
    /// # Panics
    ///
    /// If the std `Arc` is not unique (it has other strong or weak handles):
    /// those would share the value without the model checker knowing.
    #[track_caller]
    pub fn from_std(mut std: std::sync::Arc<T>) -> Arc<T> {
        if std::sync::Arc::get_mut(&mut std).is_none() {
            panic!("Arc::from_std: the std Arc is not unique (it has other handles)");
        }
        // Out of the model heap too: the raw-pointer registry may keep it
        // past the execution.
        let created = Location::caller();
        let meta = scheduler::heap::outside_model(|| {
            std::sync::Arc::new(Meta {
                object: LazyObject::new(),
                created,
                raw: AtomicBool::new(false),
                dropped: AtomicBool::new(false),
            })
        });
        let arc = Arc { inner: Some(Handle { meta, value: std }) };
        if rt::in_model() {
            // Bind now, so the engine counts from the first handle.
            rt::arc_created(arc.object());
        }
        arc
    }

    #[inline]
    #[track_caller]
    fn handle(&self) -> &Handle<T> {
        let handle = self.inner.as_ref().expect("a live handle");
        if handle.meta.dropped.load(atomic::Ordering::Acquire) {
            over_released(handle.meta.created);
        }
        handle
    }

    /// The allocation's object in the running execution.
    fn object(&self) -> ObjectId {
        let handle = self.handle();
        let strong = std::sync::Arc::strong_count(&handle.value);
        bind(&handle.meta, strong, std::sync::Arc::weak_count(&handle.value))
    }

    fn drop_step(&self, location: &'static Location<'static>) {
        if rt::in_model() {
            let object = self.object();
            rt::perform(Op::ArcDrop { object }, location);
        }
    }

    /// How many handles exist. A step, ordered against drops and upgrades.
    // FIXME(clones as steps): a clone or downgrade is not a step, so a count
    // read of one thread is not reordered against another thread's clones,
    // only against the steps around them.
    #[track_caller]
    pub fn strong_count(this: &Self) -> usize {
        this.count(false, Location::caller())
    }

    /// How many `Weak` handles exist. A step, as [`Arc::strong_count`].
    #[track_caller]
    pub fn weak_count(this: &Self) -> usize {
        this.count(true, Location::caller())
    }

    fn count(&self, weak: bool, location: &'static Location<'static>) -> usize {
        let value = &self.handle().value;
        if !rt::in_model() {
            return if weak {
                std::sync::Arc::weak_count(value)
            } else {
                std::sync::Arc::strong_count(value)
            };
        }
        rt::perform(Op::ArcCount { object: self.object(), weak }, location).value() as usize
    }

    /// A `Weak` handle to the allocation (not a step).
    pub fn downgrade(this: &Self) -> Weak<T> {
        let handle = this.handle();
        if rt::in_model() {
            rt::arc_weak(this.object(), true);
        }
        Weak {
            inner: Some(std::sync::Arc::downgrade(&handle.value)),
            meta: Some(std::sync::Arc::clone(&handle.meta)),
        }
    }

    /// Do both handles point to the same allocation?
    pub fn ptr_eq(this: &Self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&this.handle().value, &other.handle().value)
    }

    /// A pointer to the value: the one [`Arc::into_raw`] returns, so
    /// [`Arc::from_raw`] and the raw count functions take it (as in std,
    /// only for a count given up in raw form, by [`Arc::into_raw`],
    /// [`Arc::increment_strong_count`] or `mem::forget` of a handle).
    pub fn as_ptr(this: &Self) -> *const T {
        let handle = this.handle();
        let ptr = std::sync::Arc::as_ptr(&handle.value);
        register(ptr, &handle.meta);
        ptr
    }

    /// A mutable reference to the value if this is the only handle (strong
    /// or weak).
    #[track_caller]
    pub fn get_mut(this: &mut Self) -> Option<&mut T> {
        this.handle();
        let handle = this.inner.as_mut().expect("a live handle");
        std::sync::Arc::get_mut(&mut handle.value)
    }

    /// Gives the handle up as a pointer to the value, keeping its count (not
    /// a step). Turn it back with [`Arc::from_raw`], or release it with
    /// [`Arc::decrement_strong_count`]: otherwise the allocation leaks, and
    /// the model checker reports it.
    pub fn into_raw(mut this: Self) -> *const T {
        let handle = this.handle();
        register(std::sync::Arc::as_ptr(&handle.value), &handle.meta);
        let Handle { meta, value } = this.inner.take().expect("a live handle");
        // The count goes with the pointer; `meta` stays in the registry.
        drop(meta);
        std::sync::Arc::into_raw(value)
    }

    /// The handle a pointer from [`Arc::into_raw`] (or [`Arc::as_ptr`])
    /// stands for, taking over a count given up in raw form (not a step).
    ///
    /// # Safety
    ///
    /// As `std::sync::Arc::from_raw`: `ptr` was returned by
    /// [`Arc::into_raw`] or [`Arc::as_ptr`] of an `Arc<U>` with `U` of
    /// `T`'s size and alignment (usually `T` itself), and a count given up
    /// in raw form (by [`Arc::into_raw`], [`Arc::increment_strong_count`],
    /// or `mem::forget` of a handle) is taken over at most once.
    ///
    /// # Panics
    ///
    /// If `ptr` is not such a pointer to a value that is still alive. std
    /// would have undefined behaviour there; the model checker reports the
    /// misuse instead. A count taken over twice is reported when the handle
    /// it was taken from is used after the value was dropped.
    #[track_caller]
    pub unsafe fn from_raw(ptr: *const T) -> Arc<T> {
        let meta = raw_registry().get(&address(ptr)).cloned();
        let Some(meta) = meta else {
            // No address in the message: it would differ in the replay.
            panic!(
                "Arc::from_raw: the pointer was not returned by Arc::into_raw or Arc::as_ptr of \
                 an Arc whose value is alive: it does not point to an Arc's value, or the value \
                 was dropped already"
            );
        };
        // SAFETY: the caller's contract: `ptr` came from `Arc::into_raw` or
        // `Arc::as_ptr`, that is from `std::sync::Arc::into_raw`/`as_ptr` of
        // the value's allocation (the same pointer), and a count given up
        // in raw form is taken over once. The registry confirms that such
        // an allocation lives at that address.
        let value = unsafe { std::sync::Arc::from_raw(ptr) };
        Arc { inner: Some(Handle { meta, value }) }
    }

    /// One more handle for the allocation behind a pointer from
    /// [`Arc::into_raw`] or [`Arc::as_ptr`], kept in raw form (not a step,
    /// as a clone).
    ///
    /// # Safety
    ///
    /// `ptr` came from [`Arc::into_raw`] or [`Arc::as_ptr`], and the
    /// allocation has at least one strong handle while this runs.
    #[track_caller]
    pub unsafe fn increment_strong_count(ptr: *const T) {
        // SAFETY: the caller's contract; the count taken over here goes back
        // to raw form below, so the pointer stays valid.
        let this = unsafe { Arc::from_raw(ptr) };
        let more = this.clone();
        Arc::into_raw(this);
        Arc::into_raw(more);
    }

    /// Releases one count held in raw form for the allocation behind a
    /// pointer from [`Arc::into_raw`] or [`Arc::as_ptr`]: a drop, and so a
    /// step. The last one drops the value.
    ///
    /// # Safety
    ///
    /// `ptr` came from [`Arc::into_raw`] or [`Arc::as_ptr`], a count is
    /// held in raw form for it, and the count released here is not used
    /// again.
    #[track_caller]
    pub unsafe fn decrement_strong_count(ptr: *const T) {
        // SAFETY: the caller's contract: one count of `ptr` is taken over
        // and dropped below.
        let mut this = unsafe { Arc::from_raw(ptr) };
        this.drop_step(Location::caller());
        this.inner.take().expect("a live handle").release();
    }
}

impl<T: Clone> Arc<T> {
    /// A mutable reference to the value, cloning it into a new allocation
    /// first if other handles exist (dropping this handle is then a step).
    #[track_caller]
    pub fn make_mut(this: &mut Self) -> &mut T {
        if Arc::get_mut(this).is_none() {
            *this = Arc::new((**this).clone());
        }
        Arc::get_mut(this).expect("a unique handle")
    }
}

impl<T: ?Sized> Clone for Arc<T> {
    #[track_caller]
    fn clone(&self) -> Self {
        if rt::in_model() {
            rt::arc_clone(self.object());
        }
        let handle = self.handle();
        let meta = std::sync::Arc::clone(&handle.meta);
        Arc { inner: Some(Handle { meta, value: std::sync::Arc::clone(&handle.value) }) }
    }
}

impl<T: ?Sized> Drop for Arc<T> {
    fn drop(&mut self) {
        let Some(handle) = &self.inner else { return };
        if handle.meta.dropped.load(atomic::Ordering::Acquire) {
            // Its count was released by someone else: the allocation is
            // gone, so the handle is forgotten without touching it.
            let created = handle.meta.created;
            std::mem::forget(self.inner.take());
            if !std::thread::panicking() {
                over_released(created);
            }
            return;
        }
        // A destructor has no caller location: report the creation site.
        self.drop_step(handle.meta.created);
        self.inner.take().expect("a live handle").release();
    }
}

/// A handle was used after its value was dropped through another handle:
/// a count was released twice.
#[cold]
#[track_caller]
fn over_released(created: &'static Location<'static>) -> ! {
    panic!(
        "Arc: a handle of the Arc created at {created} was used after its value was dropped: \
         one count was released twice. Arc::from_raw and Arc::decrement_strong_count take over \
         a count that Arc::into_raw, Arc::increment_strong_count or mem::forget gave up; a \
         pointer from Arc::as_ptr owns none by itself (std: a use after free)"
    )
}

impl<T: ?Sized> Deref for Arc<T> {
    type Target = T;
    #[inline]
    #[track_caller]
    fn deref(&self) -> &T {
        &self.handle().value
    }
}

impl<T: ?Sized> AsRef<T> for Arc<T> {
    fn as_ref(&self) -> &T {
        self
    }
}

impl<T: ?Sized> Borrow<T> for Arc<T> {
    fn borrow(&self) -> &T {
        self
    }
}

impl<T: Default> Default for Arc<T> {
    #[track_caller]
    fn default() -> Self {
        Arc::new(T::default())
    }
}

impl<T> From<T> for Arc<T> {
    #[track_caller]
    fn from(value: T) -> Self {
        Arc::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Arc<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for Arc<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<T: ?Sized> fmt::Pointer for Arc<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Pointer::fmt(&Arc::as_ptr(self), f)
    }
}

impl<T: ?Sized + PartialEq> PartialEq for Arc<T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: ?Sized + Eq> Eq for Arc<T> {}

impl<T: ?Sized + PartialOrd> PartialOrd for Arc<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        (**self).partial_cmp(&**other)
    }
}

impl<T: ?Sized + Ord> Ord for Arc<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        (**self).cmp(&**other)
    }
}

impl<T: ?Sized + Hash> Hash for Arc<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (**self).hash(state)
    }
}

/// A handle that does not keep the value alive, as `std::sync::Weak`.
///
/// [`Weak::upgrade`] is a step that races with the last drop of a strong
/// handle: it succeeds only while one is left. Cloning and dropping a
/// `Weak` are not steps.
pub struct Weak<T: ?Sized> {
    /// `None` for `Weak::new()`, which points nowhere.
    inner: Option<std::sync::Weak<T>>,
    meta: Option<std::sync::Arc<Meta>>,
}

impl<T> Weak<T> {
    /// A `Weak` that points to nothing: `upgrade` always gives `None`.
    pub const fn new() -> Weak<T> {
        Weak { inner: None, meta: None }
    }
}

impl<T: ?Sized> Weak<T> {
    /// The allocation's object in the running execution, if any.
    fn object(&self) -> Option<ObjectId> {
        let (inner, meta) = (self.inner.as_ref()?, self.meta.as_ref()?);
        rt::in_model().then(|| bind(meta, inner.strong_count(), inner.weak_count()))
    }

    /// A strong handle, if the value is still alive (a step).
    #[track_caller]
    pub fn upgrade(&self) -> Option<Arc<T>> {
        let inner = self.inner.as_ref()?;
        if let Some(object) = self.object() {
            match rt::perform(Op::WeakUpgrade { object }, Location::caller()) {
                Reply::Exchange { ok: true, .. } => {}
                _ => return None,
            }
        }
        let value = inner.upgrade()?;
        let meta = std::sync::Arc::clone(self.meta.as_ref().expect("a Weak that points somewhere"));
        Some(Arc { inner: Some(Handle { meta, value }) })
    }

    /// How many strong handles exist: 0 once the value is dropped (a step).
    #[track_caller]
    pub fn strong_count(&self) -> usize {
        self.count(false, Location::caller())
    }

    /// How many `Weak` handles exist: 0 once the value is dropped (a step).
    #[track_caller]
    pub fn weak_count(&self) -> usize {
        self.count(true, Location::caller())
    }

    fn count(&self, weak: bool, location: &'static Location<'static>) -> usize {
        let Some(inner) = self.inner.as_ref() else { return 0 };
        match self.object() {
            Some(object) => rt::perform(Op::ArcCount { object, weak }, location).value() as usize,
            None if weak => inner.weak_count(),
            None => inner.strong_count(),
        }
    }

    /// Do both point to the same allocation (or both to none)?
    pub fn ptr_eq(&self, other: &Self) -> bool {
        match (&self.inner, &other.inner) {
            (Some(a), Some(b)) => a.ptr_eq(b),
            (None, None) => true,
            _ => false,
        }
    }
}

impl<T: ?Sized> Clone for Weak<T> {
    fn clone(&self) -> Self {
        if let Some(object) = self.object() {
            rt::arc_weak(object, true);
        }
        Weak { inner: self.inner.clone(), meta: self.meta.clone() }
    }
}

impl<T: ?Sized> Drop for Weak<T> {
    fn drop(&mut self) {
        if let Some(object) = self.object() {
            rt::arc_weak(object, false);
        }
    }
}

impl<T> Default for Weak<T> {
    fn default() -> Self {
        Weak::new()
    }
}

impl<T: ?Sized> fmt::Debug for Weak<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(Weak)")
    }
}
