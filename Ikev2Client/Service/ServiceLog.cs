using Microsoft.Extensions.Logging;

namespace Ikev2Client.Service;

/// <summary>
/// The service's log events (ids 3000–3499), source-generated: the control socket (3000s), managed profiles (3100s),
/// profile runners (3200s), the daemon (3300s) and the manager (3400s). Arguments are names, paths, codes and messages that
/// never carry a secret (profiles are logged by name only).
/// </summary>
internal static partial class ServiceLog
{
    [LoggerMessage(3000, LogLevel.Information, "control socket {Path}")]
    public static partial void ControlSocket(ILogger logger, string path);

    [LoggerMessage(3001, LogLevel.Warning, "refused a control connection from another user")]
    public static partial void RefusedPeer(ILogger logger);

    [LoggerMessage(3002, LogLevel.Error, "control request {Method} failed ({Type})")]
    public static partial void RequestFailed(ILogger logger, string method, string type);

    [LoggerMessage(3100, LogLevel.Warning, "managed profile '{Profile}': {File} was deleted; the profile is stopped and removed")]
    public static partial void ManagedFileDeleted(ILogger logger, string profile, string file);

    [LoggerMessage(3101, LogLevel.Warning, "managed profile '{Profile}': no file in {Directory} provides it any more; removed")]
    public static partial void ManagedOrphanRemoved(ILogger logger, string profile, string directory);

    [LoggerMessage(3102, LogLevel.Error, "managed profiles: {Message}")]
    public static partial void ManagedStoreFailed(ILogger logger, string message);

    [LoggerMessage(3103, LogLevel.Information, "managed profile '{Profile}': {File} is the version in force again")]
    public static partial void ManagedInForceAgain(ILogger logger, string profile, string file);

    [LoggerMessage(3104, LogLevel.Warning, "managed profile '{Profile}': {File} now provides '{New}' instead; the old one is stopped and removed")]
    public static partial void ManagedFileRenamedProfile(ILogger logger, string profile, string file, string @new);

    [LoggerMessage(3105, LogLevel.Information, "managed profile '{Profile}': applied from {File} ({Format})")]
    public static partial void ManagedApplied(ILogger logger, string profile, string file, string format);

    [LoggerMessage(3106, LogLevel.Information, "managed profile '{Profile}': {Kind}: {Key}: {Message}")]
    public static partial void ManagedImportNote(ILogger logger, string profile, string kind, string key, string message);

    [LoggerMessage(3107, LogLevel.Warning, "managed profile '{Profile}': {File} holds secrets and is readable by group or others; the MDM should write it with mode 0600")]
    public static partial void ManagedFileReadable(ILogger logger, string profile, string file);

    [LoggerMessage(3108, LogLevel.Warning, "managed profile file {File} not applied: {Problem}; the previous version of '{Profile}' stays in force")]
    public static partial void ManagedNotAppliedKept(ILogger logger, string file, string problem, string profile);

    [LoggerMessage(3109, LogLevel.Warning, "managed profile file {File} not applied: {Problem}")]
    public static partial void ManagedNotApplied(ILogger logger, string file, string problem);

    [LoggerMessage(3110, LogLevel.Error, "managed profiles: {Directory} cannot be read ({Type}); the managed profiles stay as they are")]
    public static partial void ManagedUnreadable(ILogger logger, string directory, string type);

    [LoggerMessage(3111, LogLevel.Warning, "managed profiles: {Directory} holds {Count} files; only the first {Max} by name are read")]
    public static partial void ManagedTooManyFiles(ILogger logger, string directory, int count, int max);

    [LoggerMessage(3120, LogLevel.Error, "managed profiles: the pass over {Directory} failed ({Type})")]
    public static partial void ManagedPassFailed(ILogger logger, string directory, string type);

    [LoggerMessage(3121, LogLevel.Warning, "managed profiles: cannot create {Directory} ({Type}); it is looked for every {Seconds} s")]
    public static partial void ManagedCannotCreate(ILogger logger, string directory, string type, double seconds);

    [LoggerMessage(3122, LogLevel.Information, "managed profiles: watching {Directory}")]
    public static partial void ManagedWatching(ILogger logger, string directory);

    [LoggerMessage(3123, LogLevel.Warning, "managed profiles: change notifications failed ({Type}); the directory is listed again")]
    public static partial void ManagedNotificationsFailed(ILogger logger, string type);

    [LoggerMessage(3124, LogLevel.Warning, "managed profiles: no change notifications for {Directory} ({Type}); listing it every {Seconds} s")]
    public static partial void ManagedNoNotifications(ILogger logger, string directory, string type, double seconds);

    [LoggerMessage(3200, LogLevel.Error, "{Profile}: {Message}")]
    public static partial void LockdownNotEnforced(ILogger logger, string profile, string message);

    [LoggerMessage(3201, LogLevel.Error, "{Profile}: lockdown update failed: {Message}")]
    public static partial void LockdownUpdateFailed(ILogger logger, string profile, string message);

    [LoggerMessage(3202, LogLevel.Warning, "{Profile}: {Code} ({Class}): {Message}")]
    public static partial void ConnectionEnded(ILogger logger, string profile, string code, string @class, string message);

    [LoggerMessage(3203, LogLevel.Warning, "{Profile}: disconnect did not finish cleanly ({Type})")]
    public static partial void DisconnectUnclean(ILogger logger, string profile, string type);

    [LoggerMessage(3204, LogLevel.Error, "{Profile}: {Message}")]
    public static partial void RunnerFailed(ILogger logger, string profile, string message);

    [LoggerMessage(3205, LogLevel.Information, "{Profile}: lockdown engaged ({Policy})")]
    public static partial void LockdownEngaged(ILogger logger, string profile, string policy);

    [LoggerMessage(3206, LogLevel.Information, "{Profile}: lockdown now allows {Policy}")]
    public static partial void LockdownChanged(ILogger logger, string profile, string policy);

    [LoggerMessage(3207, LogLevel.Error, "{Profile}: could not remove the lockdown firewall: {Message}")]
    public static partial void LockdownRemoveFailed(ILogger logger, string profile, string message);

    [LoggerMessage(3208, LogLevel.Information, "{Profile}: lockdown released")]
    public static partial void LockdownReleased(ILogger logger, string profile);

    [LoggerMessage(3209, LogLevel.Warning, "{Profile}: cleanup failed ({Type})")]
    public static partial void CleanupFailed(ILogger logger, string profile, string type);

    [LoggerMessage(3210, LogLevel.Information, "{Profile}: {State}{Detail}")]
    public static partial void StateChanged(ILogger logger, string profile, string state, string detail);

    [LoggerMessage(3300, LogLevel.Information, "ikev2 service started (pid {Pid})")]
    public static partial void ServiceStarted(ILogger logger, int pid);

    [LoggerMessage(3301, LogLevel.Information, "started {Count} always-on profile(s)")]
    public static partial void AlwaysOnStarted(ILogger logger, int count);

    [LoggerMessage(3302, LogLevel.Information, "{Signal}: disconnecting everything")]
    public static partial void Signalled(ILogger logger, string signal);

    [LoggerMessage(3303, LogLevel.Information, "ikev2 service stopped")]
    public static partial void ServiceStopped(ILogger logger);

    [LoggerMessage(3400, LogLevel.Information, "{Profile}: provisioned")]
    public static partial void Provisioned(ILogger logger, string profile);

    [LoggerMessage(3401, LogLevel.Information, "{Profile}: stopping it to delete it")]
    public static partial void StoppingToDelete(ILogger logger, string profile);

    [LoggerMessage(3402, LogLevel.Information, "{Profile}: deleted (profile and secrets)")]
    public static partial void Deleted(ILogger logger, string profile);

    [LoggerMessage(3403, LogLevel.Warning, "{Profile}: not started ({Message})")]
    public static partial void NotStarted(ILogger logger, string profile, string message);

    [LoggerMessage(3404, LogLevel.Warning, "crash recovery: {Line}")]
    public static partial void CrashRecovery(ILogger logger, string line);

    [LoggerMessage(3405, LogLevel.Warning, "{Profile}: the managed profile from {File} shadows the user profile of the same name (kept, unused while the managed one exists)")]
    public static partial void ManagedShadows(ILogger logger, string profile, string file);

    [LoggerMessage(3406, LogLevel.Information, "{Profile}: the managed profile changed ({File}); reconnecting with it")]
    public static partial void ManagedChanged(ILogger logger, string profile, string file);

    [LoggerMessage(3407, LogLevel.Information, "{Profile}: managed always-on profile; starting it")]
    public static partial void ManagedStarting(ILogger logger, string profile);

    [LoggerMessage(3408, LogLevel.Error, "{Profile}: the managed profile could not be removed ({Type})")]
    public static partial void ManagedRemoveFailed(ILogger logger, string profile, string type);

    [LoggerMessage(3409, LogLevel.Information, "{Profile}: managed profile removed ({File} is gone)")]
    public static partial void ManagedRemoved(ILogger logger, string profile, string file);

    [LoggerMessage(3410, LogLevel.Information, "{Profile}: the user profile of the same name is used again")]
    public static partial void UserProfileBack(ILogger logger, string profile);

    [LoggerMessage(3411, LogLevel.Warning, "{Profile}: {Message}")]
    public static partial void ProfileProblem(ILogger logger, string profile, string message);

    [LoggerMessage(3412, LogLevel.Information, "{Profile}: {Fields} not stored, and nobody answered ({Reason})")]
    public static partial void CredentialsUnanswered(ILogger logger, string profile, string fields, string reason);

    [LoggerMessage(3413, LogLevel.Warning, "{Profile}: managed by the device policy; the answered credentials serve this run only (not stored)")]
    public static partial void CredentialsNotStoredManaged(ILogger logger, string profile);

    [LoggerMessage(3414, LogLevel.Information, "{Profile}: the credentials asked when connecting are stored with it")]
    public static partial void CredentialsStored(ILogger logger, string profile);
}
