namespace Ikev2Client.Platform.InMemory;

/// <summary>An <see cref="ILockdownFirewall"/> that records every policy (tests without root); blocks nothing.</summary>
public sealed class InMemoryLockdownFirewall : ILockdownFirewall
{
    private readonly object _gate = new();
    private readonly List<LockdownPolicy?> _history = [];
    private LockdownPolicy? _current;

    /// <summary>When set, <see cref="Apply"/> throws it (a missing or failing firewall tool).</summary>
    public LockdownFirewallException? FailWith { get; set; }

    /// <inheritdoc />
    public LockdownPolicy? Current { get { lock (_gate) return _current; } }

    /// <summary>Every change in order: a policy for each apply, null for each removal.</summary>
    public IReadOnlyList<LockdownPolicy?> History { get { lock (_gate) return _history.ToArray(); } }

    /// <summary>Raised after every change (the new policy, or null after a removal).</summary>
    public event Action<LockdownPolicy?>? Changed;

    /// <inheritdoc />
    public void Apply(LockdownPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (FailWith is { } e) throw e;
        lock (_gate)
        {
            _current = policy;
            _history.Add(policy);
        }
        Changed?.Invoke(policy);
    }

    /// <inheritdoc />
    public void Remove()
    {
        lock (_gate)
        {
            if (_current is null) return;
            _current = null;
            _history.Add(null);
        }
        Changed?.Invoke(null);
    }
}
