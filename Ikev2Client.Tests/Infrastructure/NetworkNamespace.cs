using System.Runtime.InteropServices;

namespace Ikev2Client.Tests.Infrastructure;

/// <summary>
/// A Linux network namespace that a test creates and removes itself (<c>ip netns add</c>). Code that must run
/// inside it (opening sockets or a TUN device) goes through <see cref="Run{T}"/>: a dedicated thread enters the
/// namespace with setns(2); sockets and TUN devices created on that thread stay in the namespace for their
/// whole life, whichever thread later uses them.
/// </summary>
public sealed class NetworkNamespace : IDisposable
{
    private const int CLONE_NEWNET = 0x40000000;
    private bool _disposed;

    public string Name { get; }

    private NetworkNamespace(string name) => Name = name;

    /// <summary>Creates a namespace named <paramref name="prefix"/> plus a random suffix, with loopback up.</summary>
    public static NetworkNamespace Create(string prefix)
    {
        if (!Shell.IsRoot)
            throw new InvalidOperationException("network namespace tests need root (CI runs as root; run the tests with sudo)");
        string name = "";
        for (int attempt = 0; ; attempt++)
        {
            name = $"{prefix}{Random.Shared.Next(0x1000, 0xFFFF):x4}";
            if (File.Exists($"/var/run/netns/{name}")) continue;
            var r = Shell.Sh($"ip netns add {name}");
            if (r.ExitCode == 0) break;
            if (attempt >= 5) throw new InvalidOperationException($"ip netns add {name} failed: {r.Output}");
        }
        var ns = new NetworkNamespace(name);
        ns.Exec("ip link set lo up");
        return ns;
    }

    /// <summary>Runs a shell command line inside the namespace and throws with its output if it fails.</summary>
    public string Exec(string commandLine, TimeSpan? timeout = null, IDictionary<string, string>? env = null)
        => Shell.ShOk($"ip netns exec {Name} {commandLine}", timeout, env);

    /// <summary>Runs a shell command line inside the namespace and returns its result whatever the exit code.</summary>
    public ShellResult TryExec(string commandLine, TimeSpan? timeout = null, IDictionary<string, string>? env = null)
        => Shell.Sh($"ip netns exec {Name} {commandLine}", timeout, env);

    /// <summary>Runs <paramref name="action"/> on a fresh thread that has entered this namespace.</summary>
    public T Run<T>(Func<T> action)
    {
        T result = default!;
        Exception? error = null;
        var t = new Thread(() =>
        {
            try
            {
                using var fd = File.OpenHandle($"/var/run/netns/{Name}", FileMode.Open, FileAccess.Read);
                if (setns((int)fd.DangerousGetHandle(), CLONE_NEWNET) != 0)
                    throw new InvalidOperationException($"setns({Name}) failed: errno {Marshal.GetLastPInvokeError()}");
                result = action();
            }
            catch (Exception e) { error = e; }
        }) { IsBackground = true, Name = $"netns-{Name}" };
        t.Start();
        t.Join();
        if (error != null) throw new AggregateException($"in namespace {Name}", error);
        return result;
    }

    public void Run(Action action) => Run(() => { action(); return 0; });

    /// <summary>Kills every process left in the namespace and deletes it.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Shell.Sh($"for p in $(ip netns pids {Name} 2>/dev/null); do kill -9 $p 2>/dev/null; done; sleep 0.1; ip netns del {Name}");
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int setns(int fd, int nstype);
}
