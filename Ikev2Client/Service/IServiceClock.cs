namespace Ikev2Client.Service;

/// <summary>Time for the service (injected so back-off is tested without waiting).</summary>
public interface IServiceClock
{
    /// <summary>The current time.</summary>
    DateTimeOffset UtcNow { get; }

    /// <summary>Waits <paramref name="delay"/>; throws <see cref="OperationCanceledException"/> when cancelled.</summary>
    Task Delay(TimeSpan delay, CancellationToken cancellationToken);
}

/// <summary>The real clock.</summary>
public sealed class SystemServiceClock : IServiceClock
{
    /// <summary>The shared instance.</summary>
    public static SystemServiceClock Instance { get; } = new();

    /// <inheritdoc/>
    public DateTimeOffset UtcNow => DateTimeOffset.UtcNow;

    /// <inheritdoc/>
    public Task Delay(TimeSpan delay, CancellationToken cancellationToken) => Task.Delay(delay, cancellationToken);
}
