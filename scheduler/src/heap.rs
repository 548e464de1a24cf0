//! The model heap: a global allocator under which the addresses a model
//! sees depend only on the execution's own decisions.
//!
//! A model may compare addresses of memory it freed and allocated again: a
//! compare-exchange on a pointer whose node was freed while a new node took
//! its address (the ABA pattern of Treiber stacks, retire lists, hazard
//! pointers). Under the system allocator whether the new node gets the old
//! address depends on everything the process allocated before, the engine's
//! own buffers and earlier executions included, so the same decisions can
//! give another outcome and the model is reported as nondeterministic.
//!
//! With [`ModelHeap`] as the global allocator (the `checker` crate declares
//! it, feature `model-heap`, on by default), the blocks that model code
//! allocates (a model thread running, outside the engine's calls: see
//! [`Pause`]) come from an arena of the run. Blocks have power-of-two size
//! classes from 16 bytes to [`LARGEST`]; larger or more aligned ones, and
//! every allocation outside a model, go to the system allocator. A chunk of
//! the arena is carved by bumping an offset; freed blocks go on per-class
//! lists, last in first out (as glibc's per-thread cache).
//!
//! Each execution is a generation. A block handed out in it is marked so
//! (a bit per 16 bytes of its chunk); freed in the same generation, it goes
//! on its class's list of the generation, and the class's next block is the
//! last such one freed. Only when that list is empty does a block come from
//! elsewhere: blocks earlier generations freed (the carried-over lists), or
//! the chunk's unused end. Such a block was not handed out before in this
//! generation, so which of an execution's blocks share an address depends
//! only on the execution's own allocations and frees, never on earlier
//! executions. When an execution starts with no block of the run alive,
//! every chunk starts again at its beginning and the lists are emptied: such
//! executions see the same addresses as each other, not just the same
//! reuse, which fast replay relies on (it hands an execution the values an
//! earlier one read, addresses among them). Blocks left alive (a leak, a
//! one-time initialisation such as std's thread handle) are kept below a
//! base per chunk: later executions that leave nothing of their own alive
//! all start bumping from the same bases, so they too see the same
//! addresses. A run whose executions keep leaving blocks alive moves the
//! bases up at most [`MOST_BASES`] times (the memory below a base is not
//! reused until the run's blocks are all freed); after that it carries the
//! lists over instead, so memory freed is reused and the run's memory stays
//! bounded by what it holds at once, and addresses no longer repeat.
//!
//! The arena's address space is one reservation for the process (no access
//! until a chunk is used), cut into [`CHUNK`]-byte chunks, each starting
//! with its [`Header`]. A run takes chunks as it needs them and gives them
//! back to a shared pool when it ends; a chunk still holding live blocks
//! then goes back when its last block is freed, on whatever thread.
//! Without the reservation (another platform, or the kernel refused it)
//! everything goes to the system allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

/// The size of a chunk; chunks are aligned to it, so a block's chunk is its
/// address rounded down.
pub const CHUNK: usize = 256 * 1024;
/// The largest block the arena hands out; larger ones go to the system.
pub const LARGEST: usize = 32 * 1024;
/// The smallest block (room for the free list's link, and 16-byte aligned).
const SMALLEST_SHIFT: u32 = 4;
/// The number of size classes: 16, 32, ..., [`LARGEST`].
const CLASSES: usize = (LARGEST.trailing_zeros() - SMALLEST_SHIFT + 1) as usize;
/// Blocks are aligned to their size up to a page; a larger alignment goes to
/// the system.
const PAGE: usize = 4096;
/// The address space reserved for the arena, tried in this order.
const RESERVATIONS: [usize; 3] = [64 << 30, 8 << 30, 1 << 30];

/// The start of a chunk. Its fields are atomics because a block may be
/// freed on another OS thread than the one whose run owns the chunk; every
/// other field is written by the owning run alone.
#[repr(C)]
struct Header {
    /// The run that owns the chunk; 0 once that run has ended.
    owner: AtomicU64,
    /// Blocks handed out and not freed.
    live: AtomicUsize,
    /// Given back to the pool (once its owner ended and it emptied).
    released: AtomicBool,
    /// The generation `marks` describe.
    marked: AtomicU64,
    /// A bit per 16 bytes of the chunk: a block starting there was handed
    /// out in generation `marked` (valid below the bump as it was when that
    /// generation first marked, and for every block handed out since).
    marks: [AtomicU64; MARK_WORDS],
    /// The offset of the first byte not handed out since the chunk restarted.
    bump: AtomicUsize,
    /// The offset generations restart bumping from while blocks of earlier
    /// ones are alive below it (see [`begin_execution`]).
    base: AtomicUsize,
    /// The next chunk of the run's list, or of the pool.
    next: AtomicUsize,
}

/// The words of a chunk's mark bits.
const MARK_WORDS: usize = CHUNK >> SMALLEST_SHIFT >> 6;

/// The offset of a chunk's first block.
const HEADER: usize = std::mem::size_of::<Header>().next_multiple_of(16);

/// The reserved range (`start..end`, both 0 without one).
static START: AtomicUsize = AtomicUsize::new(0);
static END: AtomicUsize = AtomicUsize::new(0);
/// The first chunk of the reservation never used yet.
static FRESH: AtomicUsize = AtomicUsize::new(0);
/// The chunks given back by ended runs (a list through `Header::next`).
static POOL: Mutex<usize> = Mutex::new(0);
/// The last run id handed out.
static RUNS: AtomicU64 = AtomicU64::new(0);

/// This OS thread's run: its chunks and the current generation's free lists.
struct State {
    /// The run's id; 0 when no run is on this thread.
    run: Cell<u64>,
    /// Model code is running: its allocations go to the arena.
    active: Cell<bool>,
    generation: Cell<u64>,
    /// The run's chunks, in the order it took them.
    first: Cell<usize>,
    last: Cell<usize>,
    /// The chunk this generation bumps in (0: none yet).
    current: Cell<usize>,
    /// Per class, the blocks this generation handed out and freed, the last
    /// freed first (a list through each block's first word), and its last.
    free: [Cell<usize>; CLASSES],
    free_tail: [Cell<usize>; CLASSES],
    /// Per class, blocks free for this generation that it did not hand out.
    carried: [Cell<usize>; CLASSES],
    /// The layout the generation started from, when it is one an earlier
    /// generation started from too (see [`begin_execution`]): 0 for chunks
    /// started over, else the number of the bases it bumps from.
    layout: Cell<Option<u64>>,
    /// The bases set so far in the run (each chunk's `base`).
    bases_set: Cell<u64>,
    /// Blocks handed out in this generation and not freed.
    new_live: Cell<u64>,
    /// Blocks model code allocated in this generation that the arena did
    /// not serve (too large, or aligned beyond a page): the system's.
    fallbacks: Cell<u64>,
}

thread_local! {
    // Const-initialised and without a destructor: using it allocates
    // nothing, so the allocator itself may.
    static STATE: State = const {
        State {
            run: Cell::new(0),
            active: Cell::new(false),
            generation: Cell::new(0),
            first: Cell::new(0),
            last: Cell::new(0),
            current: Cell::new(0),
            free: [const { Cell::new(0) }; CLASSES],
            free_tail: [const { Cell::new(0) }; CLASSES],
            carried: [const { Cell::new(0) }; CLASSES],
            layout: Cell::new(None),
            bases_set: Cell::new(0),
            new_live: Cell::new(0),
            fallbacks: Cell::new(0),
        }
    };
}

/// The global allocator that puts model code's blocks in the run's arena
/// (see the module's doc). Declared by the `checker` crate.
pub struct ModelHeap;

// SAFETY: every block handed out is either the system allocator's (and goes
// back to it, by the address test `in_arena`) or a block of the arena: a
// range of a chunk the running run owns, of the layout's class size and
// aligned to it (up to a page; a larger alignment is the system's), never
// handed out twice while alive (a block is on a free list only after its
// `dealloc`, and leaves it when handed out again).
unsafe impl GlobalAlloc for ModelHeap {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match arena_alloc(layout) {
            Some(block) => block,
            None => {
                note_fallback();
                // SAFETY: the caller's contract, passed on.
                unsafe { System.alloc(layout) }
            }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if in_arena(ptr as usize) {
            // SAFETY: the caller's contract: `ptr` is a live block of this
            // allocator with this layout, and an arena address is an arena block.
            unsafe { arena_free(ptr as usize, layout) }
        } else {
            // SAFETY: the caller's contract; not in the arena, so the system's.
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !in_arena(ptr as usize) {
            // SAFETY: the caller's contract; not in the arena, so the system's.
            return unsafe { System.realloc(ptr, layout, new_size) };
        }
        // SAFETY: the caller guarantees that `new_size`, rounded up to the
        // alignment, does not overflow `isize`, and the alignment is valid.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        if class(layout) == class(new_layout) {
            return ptr;
        }
        // SAFETY: `new_layout` has a non-zero size (the caller's contract).
        let new = unsafe { self.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both blocks are live, distinct, and at least this long.
            unsafe { std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size)) };
            // SAFETY: `ptr` is the caller's live block of `layout`.
            unsafe { self.dealloc(ptr, layout) };
        }
        new
    }
}

/// Is `address` in the arena's reservation?
#[inline]
fn in_arena(address: usize) -> bool {
    address >= START.load(Ordering::Relaxed) && address < END.load(Ordering::Relaxed)
}

/// The size class of `layout`, if the arena serves it.
#[inline]
fn class(layout: Layout) -> Option<usize> {
    let size = layout.size().max(layout.align());
    if size > LARGEST || layout.align() > PAGE {
        return None;
    }
    let shift = size.next_power_of_two().trailing_zeros().max(SMALLEST_SHIFT);
    Some((shift - SMALLEST_SHIFT) as usize)
}

/// The size of the blocks of `class`.
fn class_size(class: usize) -> usize {
    1 << (class as u32 + SMALLEST_SHIFT)
}

/// The header of the chunk holding `address` (an arena address).
fn header(address: usize) -> &'static Header {
    let chunk = address & !(CHUNK - 1);
    // SAFETY: `address` is in a chunk handed out by `take_chunk`, which made
    // the chunk readable and writable and wrote its header; chunks are never
    // unmapped, so the header lives as long as the process. Its fields are
    // atomics, shared between threads.
    unsafe { &*(chunk as *const Header) }
}

fn arena_alloc(layout: Layout) -> Option<*mut u8> {
    STATE
        .try_with(|s| {
            if !s.active.get() || s.run.get() == 0 {
                return None;
            }
            s.alloc(class(layout)?)
        })
        .ok()
        .flatten()
}

/// Counts a block of model code that the arena did not serve.
#[cold]
fn note_fallback() {
    let _ = STATE.try_with(|s| {
        if s.active.get() && s.run.get() != 0 {
            s.fallbacks.set(s.fallbacks.get() + 1);
        }
    });
}

/// # Safety
///
/// `address` is a live arena block of `layout`.
unsafe fn arena_free(address: usize, layout: Layout) {
    let h = header(address);
    let chunk = address & !(CHUNK - 1);
    let class = class(layout).expect("internal error in checker: an arena block of no class");
    let _ = STATE.try_with(|s| {
        let run = s.run.get();
        if run != 0 && h.owner.load(Ordering::Relaxed) == run {
            let now = s.handed_out_now(h, address - chunk);
            if now {
                s.new_live.set(s.new_live.get() - 1);
            }
            // SAFETY: the block is at least 16 bytes, 16-aligned, and no
            // longer the caller's: its first word can be a list's link.
            unsafe { s.put_back(address, class, now) };
        }
    });
    // Sequentially consistent with `end_run`'s store of the owner: of the two
    // (the last free, the run's end) the later sees the other's write.
    if h.live.fetch_sub(1, Ordering::SeqCst) == 1 && h.owner.load(Ordering::SeqCst) == 0 {
        release(chunk);
    }
}

impl State {
    /// No run: no chunks, no generation, nothing active.
    fn clear(&self) {
        self.run.set(0);
        self.active.set(false);
        self.generation.set(0);
        self.first.set(0);
        self.last.set(0);
        self.current.set(0);
        self.layout.set(None);
        self.bases_set.set(0);
        self.new_live.set(0);
        self.empty_lists();
    }

    fn empty_lists(&self) {
        for list in [&self.free, &self.free_tail, &self.carried] {
            list.iter().for_each(|f| f.set(0));
        }
    }

    fn alloc(&self, class: usize) -> Option<*mut u8> {
        let block = match self.pop(class) {
            Some(block) => block,
            None => self.bump(class)?,
        };
        let h = header(block);
        self.mark(h, block & (CHUNK - 1));
        h.live.fetch_add(1, Ordering::Relaxed);
        self.new_live.set(self.new_live.get() + 1);
        Some(block as *mut u8)
    }

    /// The class's last block freed in this generation, else a carried one.
    fn pop(&self, class: usize) -> Option<usize> {
        for list in [&self.free[class], &self.carried[class]] {
            let head = list.get();
            if head != 0 {
                // SAFETY: `head` is a free block on this list, not handed out
                // since it was freed; its first word is the link.
                list.set(unsafe { *(head as *const usize) });
                if list.get() == 0 && std::ptr::eq(list, &self.free[class]) {
                    self.free_tail[class].set(0);
                }
                return Some(head);
            }
        }
        None
    }

    /// A block of the class from the unused end of the run's chunks.
    fn bump(&self, class: usize) -> Option<usize> {
        let size = class_size(class);
        loop {
            let chunk = self.current.get();
            if chunk != 0 {
                let h = header(chunk);
                let offset = h.bump.load(Ordering::Relaxed).next_multiple_of(size.min(PAGE));
                if offset + size <= CHUNK {
                    h.bump.store(offset + size, Ordering::Relaxed);
                    return Some(chunk + offset);
                }
            }
            let next = match chunk {
                0 => self.first.get(),
                c => header(c).next.load(Ordering::Relaxed),
            };
            let next = match next {
                0 => self.take_chunk()?,
                n => n,
            };
            self.current.set(next);
        }
    }

    /// Marks the block at `offset` of `h`'s chunk as handed out now.
    fn mark(&self, h: &Header, offset: usize) {
        let generation = self.generation.get();
        if h.marked.load(Ordering::Relaxed) != generation {
            // Only blocks below the bump can be freed without having been
            // handed out in this generation; above it every block handed out
            // from now on gets its bit.
            let words = (h.bump.load(Ordering::Relaxed) >> SMALLEST_SHIFT).div_ceil(64);
            h.marks[..words.min(MARK_WORDS)].iter().for_each(|w| w.store(0, Ordering::Relaxed));
            h.marked.store(generation, Ordering::Relaxed);
        }
        let slot = offset >> SMALLEST_SHIFT;
        // The owning run alone writes the marks: no read-modify-write needed.
        let word = &h.marks[slot / 64];
        word.store(word.load(Ordering::Relaxed) | 1 << (slot % 64), Ordering::Relaxed);
    }

    /// Was the block at `offset` of `h`'s chunk handed out in this generation?
    fn handed_out_now(&self, h: &Header, offset: usize) -> bool {
        let slot = offset >> SMALLEST_SHIFT;
        h.marked.load(Ordering::Relaxed) == self.generation.get()
            && h.marks[slot / 64].load(Ordering::Relaxed) & (1 << (slot % 64)) != 0
    }

    /// Puts a freed block of the class on the generation's list (`now`: this
    /// generation handed it out) or the carried one.
    ///
    /// # Safety
    ///
    /// `block` is a block of this run's arena, freed and not on any list.
    unsafe fn put_back(&self, block: usize, class: usize, now: bool) {
        let list = if now { &self.free[class] } else { &self.carried[class] };
        // SAFETY: the caller's: the block is free, at least 16 bytes and
        // 16-aligned; its first word becomes the list's link.
        unsafe { *(block as *mut usize) = list.get() };
        if now && list.get() == 0 {
            self.free_tail[class].set(block);
        }
        list.set(block);
    }

    /// A chunk from the pool or the reservation, appended to the run's list.
    fn take_chunk(&self) -> Option<usize> {
        let pooled = {
            let mut pool = POOL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let chunk = *pool;
            if chunk != 0 {
                *pool = header(chunk).next.load(Ordering::Relaxed);
            }
            chunk
        };
        let chunk = match pooled {
            0 => fresh_chunk()?,
            c => c,
        };
        // SAFETY: the chunk is readable and writable (`fresh_chunk`, or it
        // was before it went to the pool) and no one else holds it: a pooled
        // chunk has no live block and no owner, a fresh one was never handed
        // out.
        unsafe {
            (chunk as *mut Header).write(Header {
                owner: AtomicU64::new(self.run.get()),
                live: AtomicUsize::new(0),
                released: AtomicBool::new(false),
                marked: AtomicU64::new(0),
                marks: [const { AtomicU64::new(0) }; MARK_WORDS],
                bump: AtomicUsize::new(HEADER),
                base: AtomicUsize::new(HEADER),
                next: AtomicUsize::new(0),
            })
        };
        match self.last.get() {
            0 => self.first.set(chunk),
            last => header(last).next.store(chunk, Ordering::Relaxed),
        }
        self.last.set(chunk);
        Some(chunk)
    }
}

/// A chunk of the reservation never used before, made accessible.
#[cfg(unix)]
fn fresh_chunk() -> Option<usize> {
    use nix::sys::mman::{ProtFlags, mprotect};
    let chunk = FRESH.fetch_add(CHUNK, Ordering::Relaxed);
    if chunk == 0 || chunk + CHUNK > END.load(Ordering::Relaxed) {
        return None;
    }
    let address = std::ptr::NonNull::new(chunk as *mut std::ffi::c_void)?;
    // SAFETY: the range is a chunk of our own reservation, which nothing
    // else maps or uses: changing its protection affects no other memory.
    unsafe { mprotect(address, CHUNK, ProtFlags::PROT_READ | ProtFlags::PROT_WRITE) }.ok()?;
    Some(chunk)
}

#[cfg(not(unix))]
fn fresh_chunk() -> Option<usize> {
    None
}

/// Gives a chunk with no owner and no live block back to the pool, once.
fn release(chunk: usize) {
    let h = header(chunk);
    if h.released.compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst).is_ok() {
        let mut pool = POOL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        h.next.store(*pool, Ordering::Relaxed);
        *pool = chunk;
    }
}

/// Reserves the arena's address space, once per process.
fn reserve() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        #[cfg(unix)]
        for size in RESERVATIONS {
            use nix::sys::mman::{MapFlags, ProtFlags, mmap_anonymous};
            let Some(length) = std::num::NonZeroUsize::new(size + CHUNK) else { continue };
            // SAFETY: a fresh private anonymous mapping at an address the
            // kernel chooses: it aliases nothing. It is never unmapped.
            let mapped = unsafe {
                mmap_anonymous(
                    None,
                    length,
                    ProtFlags::PROT_NONE,
                    MapFlags::MAP_PRIVATE | MapFlags::MAP_NORESERVE,
                )
            };
            if let Ok(base) = mapped {
                let start = (base.as_ptr() as usize).next_multiple_of(CHUNK);
                FRESH.store(start, Ordering::Relaxed);
                END.store(start + size, Ordering::Relaxed);
                START.store(start, Ordering::Relaxed);
                return;
            }
        }
        #[cfg(not(unix))]
        let _ = RESERVATIONS;
    });
}

/// A run starts on this OS thread: its model code allocates in a new arena.
pub(crate) fn start_run() {
    reserve();
    STATE.with(|s| {
        s.clear();
        s.run.set(RUNS.fetch_add(1, Ordering::Relaxed) + 1);
    });
}

/// The run ends: its chunks go back to the pool, each once it is empty.
pub(crate) fn end_run() {
    STATE.with(|s| {
        let mut chunk = s.first.get();
        while chunk != 0 {
            let h = header(chunk);
            let next = h.next.load(Ordering::Relaxed);
            h.owner.store(0, Ordering::SeqCst);
            if h.live.load(Ordering::SeqCst) == 0 {
                release(chunk);
            }
            chunk = next;
        }
        s.clear();
    });
}

/// How many times a run may move its chunks' bases before it carries
/// freed blocks over instead (each move leaves the holes below the new
/// base unused until the run's blocks are all freed).
const MOST_BASES: u64 = 64;

/// An execution starts: a new generation. With no block of the run alive,
/// the run starts over (every chunk from its beginning, no free blocks).
/// Otherwise, if the last generation left none of its own blocks alive and
/// started from bases, this one starts from the same bases (each chunk
/// bumps from its base, no free blocks); if it left some, the bases move up
/// to where the chunks' bumps stand, at most [`MOST_BASES`] times a run.
/// Either way the generation starts from a layout an earlier one started
/// from or a later one may start from again, and the same allocations get
/// the same addresses. Past that many moves, the last generation's freed
/// blocks are carried over, and addresses do not repeat.
pub(crate) fn begin_execution() {
    STATE.with(|s| {
        s.generation.set(s.generation.get() + 1);
        s.current.set(0);
        s.fallbacks.set(0);
        let survivors = s.new_live.replace(0) != 0;
        let chunks = || {
            std::iter::successors(Some(s.first.get()).filter(|&c| c != 0), |&c| {
                Some(header(c).next.load(Ordering::Relaxed)).filter(|&n| n != 0)
            })
        };
        if chunks().all(|c| header(c).live.load(Ordering::Relaxed) == 0) {
            chunks().for_each(|c| {
                header(c).bump.store(HEADER, Ordering::Relaxed);
                header(c).base.store(HEADER, Ordering::Relaxed);
            });
            s.empty_lists();
            s.layout.set(Some(0));
            return;
        }
        let based = s.layout.get().is_some_and(|l| l != 0);
        if based && !survivors {
            chunks().for_each(|c| {
                let h = header(c);
                h.bump.store(h.base.load(Ordering::Relaxed), Ordering::Relaxed);
            });
            s.empty_lists();
            return;
        }
        if s.bases_set.get() < MOST_BASES {
            chunks().for_each(|c| {
                let h = header(c);
                h.base.store(h.bump.load(Ordering::Relaxed), Ordering::Relaxed);
            });
            s.bases_set.set(s.bases_set.get() + 1);
            s.empty_lists();
            s.layout.set(Some(s.bases_set.get()));
            return;
        }
        s.layout.set(None);
        for class in 0..CLASSES {
            let tail = s.free_tail[class].replace(0);
            if tail != 0 {
                // SAFETY: `tail` is the last block of the generation's free
                // list of the class: free, its first word the (null) link.
                unsafe { *(tail as *mut usize) = s.carried[class].get() };
                s.carried[class].set(s.free[class].replace(0));
            }
        }
    });
}

/// Do the addresses of the blocks model code allocated so far in this
/// execution depend only on its decisions and the layout it started from,
/// so that an execution with the same decisions from the same layout gets
/// the same ones? If so, that layout (see [`begin_execution`]): the model
/// heap is the global allocator (the run has chunks), the generation started
/// from a layout that repeats, and every block came from the arena.
pub(crate) fn addresses_repeat() -> Option<u64> {
    STATE.with(|s| if s.first.get() != 0 && s.fallbacks.get() == 0 { s.layout.get() } else { None })
}

/// Model code runs (`true`: a model thread is resumed) or stops.
#[inline]
pub(crate) fn set_active(on: bool) {
    STATE.with(|s| s.active.set(on));
}

/// While alive, model code's allocations go to the system allocator: the
/// engine's work done on a model thread's stack (`rt::with`), whose buffers
/// outlive the execution and grow depending on earlier ones.
pub(crate) struct Pause(bool);

impl Pause {
    #[inline]
    pub(crate) fn new() -> Self {
        // Read first: on the engine's own stack (most calls) it is off.
        Pause(STATE.with(|s| s.active.get() && s.active.replace(false)))
    }
}

impl Drop for Pause {
    #[inline]
    fn drop(&mut self) {
        if self.0 {
            STATE.with(|s| s.active.set(true));
        }
    }
}

/// Runs `f` with the calling model code's allocations going to the system
/// allocator: for bookkeeping that outlives the execution, such as outcomes
/// collected across executions in a std static. Left in the model heap,
/// such a block keeps the heap from starting over at the next execution,
/// and then fast replay (which needs addresses to repeat) restores nothing.
pub fn outside_model<R>(f: impl FnOnce() -> R) -> R {
    let _system = Pause::new();
    f()
}

/// Is `ptr` a block of the model heap? (For tests and diagnostics.)
pub fn in_model_heap<T: ?Sized>(ptr: *const T) -> bool {
    in_arena(ptr as *const u8 as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alloc(size: usize) -> usize {
        // SAFETY: a non-zero size.
        unsafe { ModelHeap.alloc(Layout::from_size_align(size, 8).unwrap()) as usize }
    }

    fn free(block: usize, size: usize) {
        // SAFETY: `block` came from `alloc(size)` and is freed once.
        unsafe { ModelHeap.dealloc(block as *mut u8, Layout::from_size_align(size, 8).unwrap()) }
    }

    /// Runs `f` as model code of a fresh run, ending the run after.
    fn in_run<R>(f: impl FnOnce() -> R) -> R {
        start_run();
        begin_execution();
        set_active(true);
        let r = f();
        end_run();
        r
    }

    #[test]
    fn an_execution_that_frees_everything_gives_the_next_the_same_addresses() {
        in_run(|| {
            let first: Vec<usize> = (0..50).map(|i| alloc(8 + i * 40)).collect();
            assert!(first.iter().all(|&b| in_arena(b)), "model code allocates in the arena");
            for (i, &b) in first.iter().enumerate() {
                free(b, 8 + i * 40);
            }
            begin_execution();
            let second: Vec<usize> = (0..50).map(|i| alloc(8 + i * 40)).collect();
            assert_eq!(first, second);
            for (i, &b) in second.iter().enumerate() {
                free(b, 8 + i * 40);
            }
        });
    }

    #[test]
    fn a_freed_block_is_the_next_of_its_class_and_blocks_are_aligned() {
        in_run(|| {
            let a = alloc(24);
            let b = alloc(24);
            assert_ne!(a, b);
            assert_eq!(a % 32, 0, "a 24-byte block is of the 32-byte class, aligned to it");
            free(a, 24);
            assert_eq!(alloc(30), a, "last in, first out within a class");
            assert_ne!(alloc(24), a);
            let big = alloc(3000);
            assert_eq!(big % 4096, 0);
        });
    }

    /// The run's chunks.
    fn run_chunks() -> usize {
        STATE.with(|s| {
            let mut n = 0;
            let mut c = s.first.get();
            while c != 0 {
                n += 1;
                c = header(c).next.load(Ordering::Relaxed);
            }
            n
        })
    }

    #[test]
    fn with_blocks_left_alive_memory_is_reused_and_reuse_stays_last_in_first_out() {
        in_run(|| {
            let _leftover = alloc(64);
            let size = |i: usize| 16 + i % 5 * 100;
            for _ in 0..2000 {
                begin_execution();
                let blocks: Vec<usize> = (0..200).map(|i| alloc(size(i))).collect();
                let (a, b) = (blocks[7], blocks[12]);
                assert_eq!((size(7), size(12)), (216, 216), "one class");
                free(a, 216);
                free(b, 216);
                assert_eq!(alloc(216), b, "the last block of its class freed comes first");
                assert_eq!(alloc(216), a);
                blocks.iter().enumerate().for_each(|(i, &x)| free(x, size(i)));
            }
            assert_eq!(run_chunks(), 1, "2,000 executions fit in the memory of one");
        });
    }

    #[test]
    fn a_block_freed_in_this_execution_is_reused_before_an_older_one() {
        in_run(|| {
            let leftover = alloc(64);
            begin_execution();
            let fresh = alloc(64);
            assert_ne!(fresh, leftover);
            free(leftover, 64);
            free(fresh, 64);
            assert_eq!(alloc(64), fresh, "handed out and freed in this execution: first");
            assert_eq!(alloc(64), leftover, "then free memory of earlier executions");
            let third = alloc(64);
            assert!(third != fresh && third != leftover);
        });
    }

    #[test]
    fn outside_model_code_and_large_blocks_go_to_the_system() {
        in_run(|| {
            let large = alloc(LARGEST + 1);
            assert!(!in_arena(large));
            free(large, LARGEST + 1);
            let engine = {
                let _pause = Pause::new();
                alloc(64)
            };
            assert!(!in_arena(engine), "the engine's allocations are the system's");
            free(engine, 64);
            assert!(in_arena(alloc(64)), "model code again after the pause");
        });
        assert!(!in_arena(alloc(64)), "no run: the system's");
    }

    #[test]
    fn growing_past_a_chunk_and_reallocating_keeps_contents() {
        in_run(|| {
            let blocks: Vec<usize> = (0..3 * CHUNK / 1024).map(|_| alloc(1000)).collect();
            let chunks: std::collections::BTreeSet<usize> =
                blocks.iter().map(|b| b & !(CHUNK - 1)).collect();
            assert!(chunks.len() >= 3, "the run took more chunks");
            let layout = Layout::from_size_align(20, 8).unwrap();
            // SAFETY: a live block of `layout`, grown, then freed once.
            unsafe {
                let p = ModelHeap.alloc(layout);
                p.write_bytes(7, 20);
                assert_eq!(ModelHeap.realloc(p, layout, 30), p, "same class: in place");
                let q = ModelHeap.realloc(p, Layout::from_size_align(30, 8).unwrap(), 100);
                assert_ne!(q, p);
                assert!((0..20).all(|i| *q.add(i) == 7));
                ModelHeap.dealloc(q, Layout::from_size_align(100, 8).unwrap());
            }
        });
    }

    #[test]
    fn a_chunk_outliving_its_run_returns_to_the_pool_when_emptied() {
        let leftover = in_run(|| alloc(128));
        let h = header(leftover);
        assert_eq!(h.owner.load(Ordering::SeqCst), 0, "the run ended");
        assert!(!h.released.load(Ordering::SeqCst), "a live block keeps the chunk");
        free(leftover, 128);
        // Back in the pool, or already taken from it by a run on another thread.
        let pooled = h.released.load(Ordering::SeqCst) || h.owner.load(Ordering::SeqCst) != 0;
        assert!(pooled, "its last block freed: back to the pool");
    }
}
