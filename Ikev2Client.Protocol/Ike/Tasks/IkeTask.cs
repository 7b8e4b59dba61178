using Ikev2Client.Protocol.Wire;

namespace Ikev2Client.Protocol.Ike.Tasks;

/// <summary>Outcome of processing a message in a task.</summary>
internal enum TaskResult
{
    /// <summary>The task is complete.</summary>
    Done,
    /// <summary>The exchange must be repeated (COOKIE, INVALID_KE_PAYLOAD), or, as responder, a stateless answer was given.</summary>
    NeedMore,
    /// <summary>The IKE SA failed; <see cref="IkeSa.Failure"/> says why.</summary>
    Failed,
    /// <summary>
    /// The exchange goes on with another request of the same type and the next message ID (EAP in IKE_AUTH,
    /// RFC 7296 §2.16). Only the first task of the exchange builds and processes the intermediate messages.
    /// </summary>
    Continue,
}

/// <summary>
/// An elementary operation that contributes payloads to one exchange (strongSwan's task model). An initiator
/// calls <see cref="BuildRequest"/> and then <see cref="ProcessResponse"/>; a responder calls
/// <see cref="ProcessRequest"/> and then <see cref="BuildResponse"/>. Several tasks fill one message.
/// </summary>
internal abstract class IkeTask
{
    protected IkeTask(IkeSa sa) => Sa = sa;

    protected IkeSa Sa { get; }

    public virtual void BuildRequest(IkeMessage request) { }
    public virtual TaskResult ProcessResponse(IkeMessage response) => TaskResult.Done;
    public virtual TaskResult ProcessRequest(IkeMessage request) => TaskResult.Done;
    public virtual void BuildResponse(IkeMessage response) { }

    protected TaskResult Fail(IkeError error)
    {
        Sa.Failure ??= error;
        return TaskResult.Failed;
    }

    protected TaskResult Fail(IkeErrorKind kind, string message, NotifyType? notify = null) => Fail(new IkeError(kind, message, notify));
}
