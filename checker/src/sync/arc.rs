//! `Arc`, shaped like `std::sync::Arc`.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::panic::Location;

use scheduler::op::{Op, Reply};
use scheduler::rt;
use scheduler::{LazyObject, ObjectInit, ObjectState};

struct Inner<T: ?Sized> {
    object: LazyObject,
    created: &'static Location<'static>,
    value: T,
}

/// A thread-safe reference-counted pointer.
///
/// Dropping a handle is a step: the last drop runs the destructor, so which
/// thread drops last, and when, is part of what the model checker explores.
/// Cloning is not a step (an increment of a count that is at least one
/// changes no other operation's outcome).
pub struct Arc<T: ?Sized> {
    /// Invariant: `Some` until the handle is dropped or consumed.
    inner: Option<std::sync::Arc<Inner<T>>>,
}

impl<T> Arc<T> {
    /// A new `Arc` holding `value`.
    #[track_caller]
    pub fn new(value: T) -> Arc<T> {
        let inner = Inner { object: LazyObject::new(), created: Location::caller(), value };
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

    /// The allocation's object in the running execution; bound with the
    /// handle count std has for it (an `Arc` made outside the model).
    fn object(&self) -> scheduler::ids::ObjectId {
        let inner = self.inner.as_ref().expect("a live handle");
        rt::object(&inner.object, || ObjectInit {
            type_name: "Arc",
            created: inner.created,
            state: ObjectState::Arc { count: std::sync::Arc::strong_count(inner) as u64 },
        })
    }

    fn drop_step(&self, location: &'static Location<'static>) {
        if rt::in_model() {
            let object = self.object();
            rt::perform(Op::ArcDrop { object }, location);
        }
    }

    /// How many handles exist (not a step).
    // FIXME(DPOR issue): a racy read; its interleavings with other threads'
    // clones and drops are not explored until counts are dependent steps.
    pub fn strong_count(this: &Self) -> usize {
        std::sync::Arc::strong_count(this.inner.as_ref().expect("a live handle"))
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
            let created = self.inner().created;
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
