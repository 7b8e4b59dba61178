using System.Collections.Concurrent;

namespace Ikev2Client.Connection;

/// <summary>
/// One thread that runs every input of a connection (or of one <see cref="IkeUdpDriver"/>) in order: actions posted from
/// any thread (<see cref="Post"/>) and timers (<see cref="Schedule"/>). Whatever runs here needs no lock against the
/// rest of what runs here; nothing here may block for long (waiting is a timer plus an input).
/// </summary>
/// <remarks>
/// The thread is created by the constructor's caller and so, on Linux, lives in that thread's network namespace: sockets
/// and interfaces created on the loop (a redirect's new socket, a reauthentication's, the TUN) are created there too.
/// </remarks>
public sealed class ConnectionLoop : IDisposable
{
    private readonly BlockingCollection<Action> _inputs = new();
    private readonly List<LoopTimer> _timers = new();
    private readonly Thread _thread;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TimeProvider _time;

    /// <summary>Starts the loop's thread, named <paramref name="name"/>.</summary>
    public ConnectionLoop(string name, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Called with an exception an input threw (the loop goes on). Null: the exception is dropped.</summary>
    public Action<Exception>? UnhandledException { get; set; }

    /// <summary>True on the loop's thread.</summary>
    public bool IsCurrent => Thread.CurrentThread == _thread;

    /// <summary>Completes when the loop has stopped (<see cref="Stop"/>) and its thread has run its last input.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Runs <paramref name="input"/> on the loop after what was posted before it; false when the loop has stopped.</summary>
    public bool Post(Action input)
    {
        ArgumentNullException.ThrowIfNull(input);
        try { return _inputs.TryAdd(input); }
        catch (InvalidOperationException) { return false; } // stopped
    }

    /// <summary>Runs <paramref name="input"/> on the loop once <paramref name="delay"/> has passed, unless cancelled first.</summary>
    public LoopTimer Schedule(TimeSpan delay, Action input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var timer = new LoopTimer(_time.GetTimestamp() + (long)(Math.Max(0, delay.TotalSeconds) * _time.TimestampFrequency), input);
        lock (_timers) _timers.Add(timer);
        Post(static () => { }); // wake the loop so it waits for the new deadline
        return timer;
    }

    /// <summary>Stops taking inputs; the thread ends after the input it is running (inputs not yet run are dropped).</summary>
    public void Stop() => _inputs.CompleteAdding();

    private void Run()
    {
        try
        {
            while (true)
            {
                if (_inputs.IsAddingCompleted) return;
                RunDueTimers();
                if (_inputs.IsAddingCompleted) return;
                if (!_inputs.TryTake(out var input, MillisecondsToNextTimer())) continue; // a timer is due, or stopped
                if (_inputs.IsAddingCompleted) return;
                Invoke(input);
            }
        }
        finally
        {
            lock (_timers) _timers.Clear();
            _completion.TrySetResult();
        }
    }

    private void RunDueTimers()
    {
        while (true)
        {
            LoopTimer? due = null;
            long now = _time.GetTimestamp();
            lock (_timers)
            {
                _timers.RemoveAll(t => t.IsCancelled);
                foreach (var t in _timers)
                    if (t.DueAt <= now && (due == null || t.DueAt < due.DueAt)) due = t;
                if (due != null) _timers.Remove(due);
            }
            if (due == null) return;
            if (!due.IsCancelled) Invoke(due.Input);
        }
    }

    private int MillisecondsToNextTimer()
    {
        lock (_timers)
        {
            if (_timers.Count == 0) return Timeout.Infinite;
            long next = _timers.Min(t => t.DueAt);
            double ms = (next - _time.GetTimestamp()) * 1000.0 / _time.TimestampFrequency;
            return (int)Math.Clamp(Math.Ceiling(ms), 0, int.MaxValue);
        }
    }

    private void Invoke(Action input)
    {
        try { input(); }
        catch (Exception e) { UnhandledException?.Invoke(e); }
    }

    /// <summary>Stops the loop and waits (up to 5 s) for its thread, unless called on it.</summary>
    public void Dispose()
    {
        Stop();
        if (!IsCurrent) _thread.Join(TimeSpan.FromSeconds(5));
    }
}

/// <summary>A scheduled input of a <see cref="ConnectionLoop"/>.</summary>
public sealed class LoopTimer
{
    private volatile bool _cancelled;

    internal LoopTimer(long dueAt, Action input)
    {
        DueAt = dueAt;
        Input = input;
    }

    internal long DueAt { get; }
    internal Action Input { get; }

    /// <summary>True once cancelled.</summary>
    public bool IsCancelled => _cancelled;

    /// <summary>The input will not run (if it has not yet).</summary>
    public void Cancel() => _cancelled = true;
}
