using Microsoft.Win32.SafeHandles;

namespace Ikev2Client.Platform.Linux;

/// <summary>
/// Waits for an fd to become readable or writable while staying cancellable: an eventfd is polled alongside it and
/// is signalled by a cancellation token callback or by <see cref="Close"/>, so a blocked reader wakes at once
/// instead of polling on a timer. No allocation per wait beyond the token registration.
/// </summary>
internal sealed unsafe class CancellableWaiter : IDisposable
{
    private readonly SafeFileHandle _event;
    private volatile bool _closed;

    public CancellableWaiter()
    {
        var fd = Libc.EventFd(0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC);
        if (fd < 0) throw new VpnPlatformException($"eventfd failed: {Libc.Describe(Libc.Errno)}", Libc.Errno);
        _event = Libc.Own(fd);
    }

    /// <summary>True once <see cref="Close"/> ran.</summary>
    public bool IsClosed => _closed;

    /// <summary>
    /// Waits until <paramref name="fd"/> reports <paramref name="events"/> (or an error/hang-up), the token is
    /// cancelled (throws <see cref="OperationCanceledException"/>) or the waiter is closed (returns false).
    /// </summary>
    public bool Wait(int fd, short events, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static s => ((CancellableWaiter)s!).Signal(), this)
            : default;
        var added = false;
        try
        {
            _event.DangerousAddRef(ref added);
            var fds = stackalloc Libc.PollFd[2];
            fds[0] = new Libc.PollFd { Fd = fd, Events = events };
            fds[1] = new Libc.PollFd { Fd = (int)_event.DangerousGetHandle(), Events = Libc.POLLIN };
            while (true)
            {
                if (_closed) return false;
                cancellationToken.ThrowIfCancellationRequested();
                fds[0].Revents = 0;
                fds[1].Revents = 0;
                Libc.PollRetry(fds, 2, -1);
                if (fds[0].Revents != 0) return true;
                if (fds[1].Revents != 0) Drain();
            }
        }
        finally
        {
            if (added) _event.DangerousRelease();
        }
    }

    /// <summary>Wakes every waiter for good.</summary>
    public void Close()
    {
        _closed = true;
        Signal();
    }

    private void Signal()
    {
        var added = false;
        try
        {
            _event.DangerousAddRef(ref added);
            ulong one = 1;
            Libc.Write((int)_event.DangerousGetHandle(), (byte*)&one, 8);
        }
        catch (ObjectDisposedException) { }
        finally
        {
            if (added) _event.DangerousRelease();
        }
    }

    private void Drain()
    {
        // Only a cancellation or a close signals; leaving the count set after a close keeps later waits awake.
        if (_closed) return;
        ulong value;
        Libc.Read((int)_event.DangerousGetHandle(), (byte*)&value, 8);
    }

    public void Dispose()
    {
        Close();
        _event.Dispose();
    }
}
