//! `Arc`, shaped like `std::sync::Arc`.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::panic::Location;

use scheduler::ids::ObjectId;
use scheduler::op::{Op, Reply};
use scheduler::rt;
use scheduler::{LazyObject, ObjectInit, ObjectState};

/// What identifies an allocation to the engine. Shared with the `Weak`
/// handles, which outlive the value.
struct Meta {
    object: LazyObject,
    created: &'static Location<'static>,
}

struct Inner<T: ?Sized> {
    meta: std::sync::Arc<Meta>,
    value: T,
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

/// A thread-safe reference-counted pointer.
///
/// Dropping a handle is a step: the last drop runs the destructor, so which
/// thread drops last, and when, is part of what the model checker explores.
/// Cloning is not a step (an increment of a count that is at least one
/// changes no other operation's outcome), nor is [`Arc::downgrade`]; reading
/// a count and [`Weak::upgrade`] are.
pub struct Arc<T: ?Sized> {
    /// Invariant: `Some` until the handle is dropped or consumed.
    inner: Option<std::sync::Arc<Inner<T>>>,
}

impl<T> Arc<T> {
    /// A new `Arc` holding `value`.
    #[track_caller]
    pub fn new(value: T) -> Arc<T> {
        let meta =
            std::sync::Arc::new(Meta { object: LazyObject::new(), created: Location::caller() });
        let inner = Inner { meta, value };
        let arc = Arc { inner: Some(std::sync::Arc::new(inner)) };
        if rt::in_model() {
            // Bind now, so the engine counts from the first handle.
            rt::arc_created(arc.object());
        }
        arc
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
        let inner = this.inner.take().expect("a live handle");
        match std::sync::Arc::try_unwrap(inner) {
            Ok(inner) => Ok(inner.value),
            Err(inner) => Err(Arc { inner: Some(inner) }),
        }
    }

    /// Moves the value out of a std `Arc` into a model one (loom's
    /// constructor). Panics if `std` has other handles, as loom does; unlike
    /// loom it needs `T: Sized`, since the value moves into checker's own
    /// allocation.
    #[track_caller]
    pub fn from_std(std: std::sync::Arc<T>) -> Arc<T> {
        match std::sync::Arc::try_unwrap(std) {
            Ok(value) => Arc::new(value),
            Err(_) => panic!("Arc::from_std: the std Arc is not unique (it has other handles)"),
        }
    }

    /// The value if this is the last handle (a step: it drops the handle).
    #[track_caller]
    pub fn into_inner(mut this: Arc<T>) -> Option<T> {
        this.drop_step(Location::caller());
        let inner = this.inner.take().expect("a live handle");
        std::sync::Arc::into_inner(inner).map(|inner| inner.value)
    }
}

impl<T: ?Sized> Arc<T> {
    #[inline]
    fn inner(&self) -> &Inner<T> {
        self.inner.as_deref().expect("a live handle")
    }

    /// The allocation's object in the running execution.
    fn object(&self) -> ObjectId {
        let inner = self.inner.as_ref().expect("a live handle");
        let strong = std::sync::Arc::strong_count(inner);
        bind(&inner.meta, strong, std::sync::Arc::weak_count(inner))
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
        let inner = self.inner.as_ref().expect("a live handle");
        if !rt::in_model() {
            return if weak {
                std::sync::Arc::weak_count(inner)
            } else {
                std::sync::Arc::strong_count(inner)
            };
        }
        rt::perform(Op::ArcCount { object: self.object(), weak }, location).value() as usize
    }

    /// A `Weak` handle to the allocation (not a step).
    pub fn downgrade(this: &Self) -> Weak<T> {
        let inner = this.inner.as_ref().expect("a live handle");
        if rt::in_model() {
            rt::arc_weak(this.object(), true);
        }
        Weak {
            inner: Some(std::sync::Arc::downgrade(inner)),
            meta: Some(std::sync::Arc::clone(&inner.meta)),
        }
    }

    /// Do both handles point to the same allocation?
    pub fn ptr_eq(this: &Self, other: &Self) -> bool {
        std::ptr::eq(this.inner(), other.inner())
    }

    /// A pointer to the value.
    pub fn as_ptr(this: &Self) -> *const T {
        &this.inner().value as *const T
    }

    /// A mutable reference to the value if this is the only handle.
    pub fn get_mut(this: &mut Self) -> Option<&mut T> {
        let inner = this.inner.as_mut().expect("a live handle");
        std::sync::Arc::get_mut(inner).map(|inner| &mut inner.value)
    }
}

impl<T: Clone> Arc<T> {
    /// A mutable reference to the value, cloning it into a new allocation
    /// first if other handles exist (dropping this handle is then a step).
    #[track_caller]
    pub fn make_mut(this: &mut Self) -> &mut T {
        if Arc::get_mut(this).is_none() {
            *this = Arc::new(this.inner().value.clone());
        }
        Arc::get_mut(this).expect("a unique handle")
    }
}

impl<T: ?Sized> Clone for Arc<T> {
    fn clone(&self) -> Self {
        if rt::in_model() {
            rt::arc_clone(self.object());
        }
        Arc { inner: self.inner.clone() }
    }
}

impl<T: ?Sized> Drop for Arc<T> {
    fn drop(&mut self) {
        if self.inner.is_some() {
            // A destructor has no caller location: report the creation site.
            let created = self.inner().meta.created;
            self.drop_step(created);
        }
    }
}

impl<T: ?Sized> Deref for Arc<T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        &self.inner().value
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
    inner: Option<std::sync::Weak<Inner<T>>>,
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
        inner.upgrade().map(|inner| Arc { inner: Some(inner) })
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
