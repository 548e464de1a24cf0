//! Channels, shaped like `std::sync::mpsc`, built on checker's `Mutex` and
//! `Condvar`: every race between senders, the receiver and disconnection is
//! explored like the user's own.
//!
//! A channel is one queue under one lock, so messages arrive in the order
//! their sends took the lock (per sender, the order it sent them). `recv`
//! fails once every sender is gone and the queue is empty; `send` fails
//! once the receiver is gone. A `sync_channel(0)` is a rendezvous: `send`
//! returns only after the receiver has taken the value.

use std::cell::Cell;
use std::collections::VecDeque;
use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

pub use std::sync::mpsc::{RecvError, RecvTimeoutError, SendError, TryRecvError, TrySendError};

use super::{Condvar, Mutex, MutexGuard};

/// What the two ends share.
struct Channel<T> {
    state: Mutex<State<T>>,
    /// The receiver waits here for a message or for the last sender to go.
    not_empty: Condvar,
    /// Senders wait here for room, for the receiver to take their message
    /// (rendezvous), or for it to go.
    not_full: Condvar,
    /// `None`: unbounded (`channel`); `Some(n)`: `sync_channel(n)`.
    bound: Option<usize>,
}

struct State<T> {
    queue: VecDeque<T>,
    /// Live `Sender`s or `SyncSender`s.
    senders: usize,
    /// The `Receiver` is alive.
    receiver: bool,
    /// The receiver is blocked in `recv`.
    receiver_waiting: bool,
    /// Senders blocked in `send`.
    senders_waiting: usize,
    /// Messages sent and received so far: a rendezvous sender waits until
    /// its message's number has been received.
    sent: u64,
    received: u64,
}

/// Creates an unbounded channel: `send` never blocks.
#[track_caller]
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let channel = Channel::new(None);
    (Sender { channel: Arc::clone(&channel) }, Receiver::new(channel))
}

/// Creates a channel holding at most `bound` messages: `send` blocks while it
/// is full. With `bound` 0, every `send` waits until the receiver takes its
/// message.
#[track_caller]
pub fn sync_channel<T>(bound: usize) -> (SyncSender<T>, Receiver<T>) {
    let channel = Channel::new(Some(bound));
    (SyncSender { channel: Arc::clone(&channel) }, Receiver::new(channel))
}

impl<T> Channel<T> {
    #[track_caller]
    fn new(bound: Option<usize>) -> Arc<Channel<T>> {
        Arc::new(Channel {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                senders: 1,
                receiver: true,
                receiver_waiting: false,
                senders_waiting: 0,
                sent: 0,
                received: 0,
            }),
            not_empty: Condvar::new(),
            not_full: Condvar::new(),
            bound,
        })
    }

    /// Takes the channel's lock. No user code runs under it, so poisoning
    /// never means broken state: it is ignored.
    #[track_caller]
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    #[track_caller]
    fn wait_not_full<'a>(&self, mut state: MutexGuard<'a, State<T>>) -> MutexGuard<'a, State<T>> {
        state.senders_waiting += 1;
        let mut state = self.not_full.wait(state).unwrap_or_else(PoisonError::into_inner);
        state.senders_waiting -= 1;
        state
    }

    /// Adds a message and wakes the receiver if it waits.
    #[track_caller]
    fn push(&self, state: &mut State<T>, t: T) -> u64 {
        state.queue.push_back(t);
        state.sent += 1;
        if state.receiver_waiting {
            self.not_empty.notify_one();
        }
        state.sent - 1
    }

    #[track_caller]
    fn send(&self, t: T) -> Result<(), SendError<T>> {
        let mut state = self.lock();
        let bound = match self.bound {
            None => {
                if !state.receiver {
                    return Err(SendError(t));
                }
                self.push(&mut state, t);
                return Ok(());
            }
            Some(bound) => bound,
        };
        // Room for the message (a rendezvous holds one at a time: the one
        // being handed over).
        loop {
            if !state.receiver {
                return Err(SendError(t));
            }
            if state.queue.len() < bound.max(1) {
                break;
            }
            state = self.wait_not_full(state);
        }
        let number = self.push(&mut state, t);
        if bound > 0 {
            return Ok(());
        }
        // Rendezvous: wait until the receiver took it, or take it back if
        // the receiver went first (ours is then the only message queued).
        loop {
            if state.received > number {
                return Ok(());
            }
            if !state.receiver {
                let t = state.queue.pop_back().expect("an untaken rendezvous message");
                return Err(SendError(t));
            }
            state = self.wait_not_full(state);
        }
    }

    #[track_caller]
    fn try_send(&self, t: T) -> Result<(), TrySendError<T>> {
        let mut state = self.lock();
        if !state.receiver {
            return Err(TrySendError::Disconnected(t));
        }
        let room = match self.bound {
            None => true,
            // A rendezvous succeeds only with a receiver ready to take it;
            // it is the only receiver, so the hand-over cannot fail.
            Some(0) => state.receiver_waiting && state.queue.is_empty(),
            Some(bound) => state.queue.len() < bound,
        };
        if !room {
            return Err(TrySendError::Full(t));
        }
        self.push(&mut state, t);
        Ok(())
    }

    /// Takes the first message; wakes waiting senders (there is room now, or
    /// a rendezvous completed).
    #[track_caller]
    fn pop(&self, state: &mut State<T>) -> Option<T> {
        let t = state.queue.pop_front()?;
        state.received += 1;
        if state.senders_waiting > 0 {
            self.not_full.notify_all();
        }
        Some(t)
    }

    #[track_caller]
    fn recv(&self) -> Result<T, RecvError> {
        let mut state = self.lock();
        loop {
            if let Some(t) = self.pop(&mut state) {
                return Ok(t);
            }
            if state.senders == 0 {
                return Err(RecvError);
            }
            state.receiver_waiting = true;
            state = self.not_empty.wait(state).unwrap_or_else(PoisonError::into_inner);
            state.receiver_waiting = false;
        }
    }

    #[track_caller]
    fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        let mut state = self.lock();
        loop {
            if let Some(t) = self.pop(&mut state) {
                return Ok(t);
            }
            if state.senders == 0 {
                return Err(RecvTimeoutError::Disconnected);
            }
            state.receiver_waiting = true;
            let (next, result) =
                self.not_empty.wait_timeout(state, timeout).unwrap_or_else(PoisonError::into_inner);
            state = next;
            state.receiver_waiting = false;
            if result.timed_out() {
                // A message that arrived meanwhile is still taken, as std does.
                return match self.pop(&mut state) {
                    Some(t) => Ok(t),
                    None if state.senders == 0 => Err(RecvTimeoutError::Disconnected),
                    None => Err(RecvTimeoutError::Timeout),
                };
            }
        }
    }

    #[track_caller]
    fn try_recv(&self) -> Result<T, TryRecvError> {
        let mut state = self.lock();
        match self.pop(&mut state) {
            Some(t) => Ok(t),
            None if state.senders == 0 => Err(TryRecvError::Disconnected),
            None => Err(TryRecvError::Empty),
        }
    }

    #[track_caller]
    fn add_sender(&self) {
        self.lock().senders += 1;
    }

    #[track_caller]
    fn drop_sender(&self) {
        let mut state = self.lock();
        state.senders -= 1;
        if state.senders == 0 && state.receiver_waiting {
            self.not_empty.notify_one();
        }
    }

    #[track_caller]
    fn drop_receiver(&self) {
        let mut state = self.lock();
        state.receiver = false;
        // Queued messages are dropped with the receiver, as in std, except a
        // rendezvous message: its sender takes it back.
        let dropped =
            if self.bound == Some(0) { VecDeque::new() } else { std::mem::take(&mut state.queue) };
        if state.senders_waiting > 0 {
            self.not_full.notify_all();
        }
        drop(state);
        // Outside the lock: a message's destructor may use the channel.
        drop(dropped);
    }
}

/// The sending end of a [`channel`]. Clone it for more senders.
pub struct Sender<T> {
    channel: Arc<Channel<T>>,
}

impl<T> Sender<T> {
    /// Sends `t` without blocking; fails, giving it back, if the receiver is
    /// gone.
    #[track_caller]
    pub fn send(&self, t: T) -> Result<(), SendError<T>> {
        self.channel.send(t)
    }
}

impl<T> Clone for Sender<T> {
    #[track_caller]
    fn clone(&self) -> Self {
        self.channel.add_sender();
        Sender { channel: Arc::clone(&self.channel) }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.channel.drop_sender();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

/// The sending end of a [`sync_channel`]. Clone it for more senders.
pub struct SyncSender<T> {
    channel: Arc<Channel<T>>,
}

impl<T> SyncSender<T> {
    /// Sends `t`, blocking while the channel is full (for a rendezvous
    /// channel, until the receiver has taken it); fails, giving it back, if
    /// the receiver is gone.
    #[track_caller]
    pub fn send(&self, t: T) -> Result<(), SendError<T>> {
        self.channel.send(t)
    }

    /// Sends `t` if there is room now (for a rendezvous channel, if the
    /// receiver is waiting in `recv`), without blocking.
    #[track_caller]
    pub fn try_send(&self, t: T) -> Result<(), TrySendError<T>> {
        self.channel.try_send(t)
    }
}

impl<T> Clone for SyncSender<T> {
    #[track_caller]
    fn clone(&self) -> Self {
        self.channel.add_sender();
        SyncSender { channel: Arc::clone(&self.channel) }
    }
}

impl<T> Drop for SyncSender<T> {
    fn drop(&mut self) {
        self.channel.drop_sender();
    }
}

impl<T> fmt::Debug for SyncSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncSender").finish_non_exhaustive()
    }
}

/// The receiving end of a channel. One thread at a time may use it (it is
/// `Send` but not `Sync`, as in std).
pub struct Receiver<T> {
    channel: Arc<Channel<T>>,
    not_sync: PhantomData<Cell<()>>,
}

impl<T> Receiver<T> {
    fn new(channel: Arc<Channel<T>>) -> Receiver<T> {
        Receiver { channel, not_sync: PhantomData }
    }

    /// Waits for a message; fails once the queue is empty and every sender
    /// is gone.
    #[track_caller]
    pub fn recv(&self) -> Result<T, RecvError> {
        self.channel.recv()
    }

    /// Takes a message if one is queued, without blocking.
    #[track_caller]
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        self.channel.try_recv()
    }

    /// Waits at most `timeout` for a message. Durations are not modelled:
    /// whether the timeout passes before a message arrives is a choice the
    /// exploration makes both ways, as for `Condvar::wait_timeout`.
    #[track_caller]
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.channel.recv_timeout(timeout)
    }

    /// An iterator that waits for messages until every sender is gone.
    pub fn iter(&self) -> Iter<'_, T> {
        Iter { rx: self }
    }

    /// An iterator over the messages queued now, without blocking.
    pub fn try_iter(&self) -> TryIter<'_, T> {
        TryIter { rx: self }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.channel.drop_receiver();
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").finish_non_exhaustive()
    }
}

/// Waits for messages on a borrowed [`Receiver`]; see [`Receiver::iter`].
#[derive(Debug)]
pub struct Iter<'a, T> {
    rx: &'a Receiver<T>,
}

impl<T> Iterator for Iter<'_, T> {
    type Item = T;

    #[track_caller]
    fn next(&mut self) -> Option<T> {
        self.rx.recv().ok()
    }
}

/// Takes the queued messages of a borrowed [`Receiver`]; see
/// [`Receiver::try_iter`].
#[derive(Debug)]
pub struct TryIter<'a, T> {
    rx: &'a Receiver<T>,
}

impl<T> Iterator for TryIter<'_, T> {
    type Item = T;

    #[track_caller]
    fn next(&mut self) -> Option<T> {
        self.rx.try_recv().ok()
    }
}

/// Waits for messages on an owned [`Receiver`] until every sender is gone.
#[derive(Debug)]
pub struct IntoIter<T> {
    rx: Receiver<T>,
}

impl<T> Iterator for IntoIter<T> {
    type Item = T;

    #[track_caller]
    fn next(&mut self) -> Option<T> {
        self.rx.recv().ok()
    }
}

impl<'a, T> IntoIterator for &'a Receiver<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;

    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<T> IntoIterator for Receiver<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;

    fn into_iter(self) -> IntoIter<T> {
        IntoIter { rx: self }
    }
}
