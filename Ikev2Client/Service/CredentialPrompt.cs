using Ikev2Client.Profiles;

namespace Ikev2Client.Service;

/// <summary>
/// What the service asks whoever started a connection when the profile lacks a credential
/// (<see cref="ProfileCredentials.Missing"/>): the fields to ask for, and on a repeated question why the last answer
/// was refused. Holds no secret.
/// </summary>
/// <param name="Profile">The profile being connected.</param>
/// <param name="Fields">What to ask for, in order.</param>
/// <param name="Attempt">1 for the first question, then 2, 3 after a refused answer.</param>
/// <param name="Error">Why the previous answer was refused (null on the first question).</param>
/// <param name="Timeout">How long the service waits for the answer (null: as long as it takes).</param>
public sealed record CredentialRequest(string Profile, IReadOnlyList<MissingCredential> Fields, int Attempt = 1, string? Error = null, TimeSpan? Timeout = null);

/// <summary>The answer: JSON key → value for each asked field, and whether to store the answers with the profile.</summary>
/// <param name="Values">One value per field of the request.</param>
/// <param name="Save">Store them in the profile (secrets in the 0600 secrets file); otherwise they serve this connection only.</param>
public sealed record CredentialAnswer(IReadOnlyDictionary<string, string> Values, bool Save = false);

/// <summary>
/// Asks the user for credentials a profile lacks: the CLI's terminal prompt, or, in the service, the client that sent
/// the start request (over the same control connection). Throws <see cref="CredentialPromptException"/> when nobody
/// can answer (no terminal, no answer in time, end of input) and <see cref="OperationCanceledException"/> when the
/// user cancelled.
/// </summary>
public interface ICredentialPrompt
{
    /// <summary>Asks once; the service validates the answer and asks again (up to 3 times) when it is refused.</summary>
    Task<CredentialAnswer> AskAsync(CredentialRequest request, CancellationToken cancellationToken);
}

/// <summary>Nobody can answer a credential prompt; the message says why (never a secret).</summary>
public sealed class CredentialPromptException(string message) : Exception(SafeText.Line(message));
