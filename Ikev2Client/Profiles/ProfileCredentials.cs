using System.Security.Cryptography.X509Certificates;

namespace Ikev2Client.Profiles;

/// <summary>
/// A credential a valid profile may still lack: the formats that leave it out (a <c>.sswan</c> without
/// <c>local.shared_secret</c>, a <c>.mobileconfig</c> without <c>AuthName</c>, every Windows profile, a PKCS#12
/// imported without its password) expect it to be asked when connecting, as the strongSwan app, iOS and Windows do.
/// <see cref="Key"/> is the profile's JSON key; <see cref="Label"/> is what a prompt shows (never a secret).
/// </summary>
/// <param name="Key"><c>username</c>, <c>password</c> or <c>pkcs12Password</c>.</param>
/// <param name="Secret">True for a password: read without echo, stored 0600 only when the user asks.</param>
/// <param name="Label">What to ask, e.g. <c>Password (EAP-MSCHAPv2) for 'office'</c>.</param>
public sealed record MissingCredential(string Key, bool Secret, string Label);

/// <summary>
/// Changes to a stored profile's credentials (<c>ikev2 profile set</c>): each non-null member replaces its field.
/// </summary>
public sealed record CredentialChanges
{
    /// <summary>The EAP user name (<c>username</c>).</summary>
    public string? Username { get; init; }
    /// <summary>The EAP password (<c>password</c>).</summary>
    public string? Password { get; init; }
    /// <summary>Remove the stored EAP password, so that it is asked when connecting.</summary>
    public bool ForgetPassword { get; init; }
    /// <summary>A new PKCS#12 with the user certificate and key (replaces <c>pkcs12</c>, or <c>userCert</c> + <c>privateKey</c>).</summary>
    public byte[]? Pkcs12 { get; init; }
    /// <summary>The PKCS#12's password (<c>pkcs12Password</c>).</summary>
    public string? Pkcs12Password { get; init; }
    /// <summary>The CA that signs the gateway's certificate (<c>serverRootCaCert</c>).</summary>
    public X509Certificate2? ServerRootCaCert { get; init; }

    /// <summary>True when nothing is to change.</summary>
    public bool IsEmpty => Username is null && Password is null && !ForgetPassword && Pkcs12 is null && Pkcs12Password is null && ServerRootCaCert is null;
}

/// <summary>
/// Which credentials a profile lacks (<see cref="Missing"/>), completing it with answers from the user
/// (<see cref="Complete"/>, for one connection or to be stored), and <c>profile set</c>'s changes (<see cref="Apply"/>).
/// Every result is validated by <see cref="ProfileValidator"/> like an import; problems name their field, never a value.
/// A pre-shared key and a PEM private key can't be missing: a profile without them does not validate (import refuses it).
/// </summary>
public static class ProfileCredentials
{
    /// <summary>The JSON keys a user can be asked for, in the order they are asked.</summary>
    public static IReadOnlyList<string> Keys { get; } = ["username", "password", "pkcs12Password"];

    /// <summary>What <paramref name="profile"/> lacks to connect, in the order to ask (empty: nothing).</summary>
    public static IReadOnlyList<MissingCredential> Missing(Ikev2VpnProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var missing = new List<MissingCredential>();
        var name = SafeText.Quote(profile.Name);
        if (NeedsPkcs12Password(profile))
            missing.Add(new("pkcs12Password", true, $"Password of the PKCS#12 (user certificate) of {name}"));
        if (PasswordMethod(profile) is { } method)
        {
            if (string.IsNullOrEmpty(profile.Username)) missing.Add(new("username", false, $"User name ({method}) for {name}"));
            if (string.IsNullOrEmpty(profile.Password))
                missing.Add(new("password", true, string.IsNullOrEmpty(profile.Username)
                    ? $"Password ({method}) for {name}"
                    : $"Password ({method}) of {SafeText.Quote(profile.Username)} for {name}"));
        }
        return missing;
    }

    /// <summary>
    /// The profile with <paramref name="answers"/> (JSON key → value, only keys of <see cref="Keys"/>) filled in,
    /// validated like an import: an empty answer, a user name with a control character, or a PKCS#12 password that
    /// does not open the PKCS#12 throws <see cref="ProfileValidationException"/> naming the field.
    /// </summary>
    public static Ikev2VpnProfile Complete(Ikev2VpnProfile profile, IReadOnlyDictionary<string, string> answers)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(answers);
        var problems = new List<ProfileProblem>();
        foreach (var (key, value) in answers)
        {
            if (!Keys.Contains(key)) problems.Add(new(SafeText.Clip(key, 64), "is not a credential that can be supplied when connecting"));
            else if (value.Length == 0) problems.Add(new(key, "is empty"));
        }
        if (problems.Count > 0) throw new ProfileValidationException(problems);
        var b = profile.ToBuilder();
        if (answers.TryGetValue("username", out var user)) b.Username = user;
        if (answers.TryGetValue("password", out var password)) b.Password = password;
        if (answers.TryGetValue("pkcs12Password", out var p12)) SetPkcs12Password(b, p12);
        return b.Build();
    }

    /// <summary>
    /// <c>profile set</c>: the profile with <paramref name="changes"/> applied and validated like an import. A change
    /// the profile's authentication method has no use for (a password for a certificate profile, a PKCS#12 for a
    /// password profile, a CA for a PSK profile) is refused naming the field and the method.
    /// </summary>
    public static Ikev2VpnProfile Apply(Ikev2VpnProfile profile, CredentialChanges changes)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(changes);
        var method = ProfileValidator.Camel(profile.AuthMethod);
        var problems = new List<ProfileProblem>();
        bool usesUsername = profile.AuthMethod is AuthMethod.UsernamePassword or AuthMethod.EapOnly or AuthMethod.CertificateThenEap or AuthMethod.EapTls;
        bool usesPassword = PasswordMethod(profile) is not null;
        bool usesCertificate = UsesCertificate(profile);
        if (changes.Username is not null && !usesUsername) problems.Add(new("username", $"is not used by authMethod {method}"));
        if (changes.Username is { Length: 0 }) problems.Add(new("username", "is empty"));
        if ((changes.Password is not null || changes.ForgetPassword) && !usesPassword)
            problems.Add(new("password", $"is not used by authMethod {method}" + (usesCertificate ? " (a PKCS#12 password is set with --pkcs12-password-stdin)" : "")));
        if (changes.Password is { Length: 0 }) problems.Add(new("password", "is empty"));
        if (changes.Password is not null && changes.ForgetPassword) problems.Add(new("password", "give a new password or forget it, not both"));
        if (changes.Pkcs12 is not null && !usesCertificate) problems.Add(new("pkcs12", $"is not used by authMethod {method}"));
        if (changes.Pkcs12Password is not null && changes.Pkcs12 is null && profile.Pkcs12 is null)
            problems.Add(new("pkcs12Password", usesCertificate
                ? "the profile's certificate key is a PEM privateKey, not a PKCS#12; give the PKCS#12 too (--pkcs12 FILE)"
                : $"is not used by authMethod {method}"));
        if (changes.Pkcs12Password is { Length: 0 }) problems.Add(new("pkcs12Password", "is empty"));
        if (changes.ServerRootCaCert is not null && profile.AuthMethod == AuthMethod.Psk)
            problems.Add(new("serverRootCaCert", "is not used by authMethod psk (the gateway authenticates with the pre-shared key)"));
        if (problems.Count > 0) throw new ProfileValidationException(problems);

        var b = profile.ToBuilder();
        if (changes.Username is not null) b.Username = changes.Username;
        if (changes.Password is not null) b.Password = changes.Password;
        if (changes.ForgetPassword) b.Password = null;
        if (changes.ServerRootCaCert is not null) b.ServerRootCaCert = changes.ServerRootCaCert;
        if (changes.Pkcs12 is not null)
        {
            // The new PKCS#12 replaces the whole certificate credential; the old password belonged to the old file.
            b.Pkcs12 = changes.Pkcs12.ToArray();
            b.UserPrivateKeyPem = null;
            b.UserCert = null;
            b.Pkcs12Password = null;
            b.Pkcs12Opened = null;
            if (Pkcs12Reader.CheckStructure(b.Pkcs12) is { } problem) throw new ProfileValidationException([new("pkcs12", problem)]);
        }
        if (changes.Pkcs12Password is not null) SetPkcs12Password(b, changes.Pkcs12Password);
        return b.Build();
    }

    /// <summary>One line that says what is missing and how to supply it, for an error where nobody can be asked.</summary>
    /// <param name="profileName">The profile.</param>
    /// <param name="missing">What it lacks (<see cref="Missing"/>).</param>
    /// <param name="reason">Why nobody could be asked (e.g. <c>standard input is not a terminal</c>), or null.</param>
    public static string HowToSupply(string profileName, IReadOnlyList<MissingCredential> missing, string? reason = null)
    {
        var name = SafeText.Quote(profileName);
        var keys = missing.Select(m => m.Key).ToList();
        var fields = keys.Count <= 1 ? string.Concat(keys) : string.Join(", ", keys[..^1]) + " and " + keys[^1];
        var options = string.Join(" ", missing.Select(m => m.Key switch
        {
            "username" => "--username USER",
            "password" => "--password-stdin",
            _ => "--pkcs12-password-stdin",
        }));
        var shell = ShellWord(profileName);
        var why = reason is null ? "" : $", and it could not be asked ({SafeText.Line(reason, 200)})";
        return $"{name} has no {fields} stored{why}: run \"ikev2 connect {shell}\" on a terminal to be asked, "
            + $"or store it with \"ikev2 profile set {shell} {options}\"";
    }

    /// <summary>A profile name as a shell word (single-quoted unless it is plain), to be copied into a command.</summary>
    private static string ShellWord(string name) =>
        name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@' or '+')
            ? name
            : "'" + SafeText.Clip(name, 64).Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>The EAP method that needs a user name and password (for prompts), or null.</summary>
    private static string? PasswordMethod(Ikev2VpnProfile p) => p.AuthMethod switch
    {
        AuthMethod.UsernamePassword => "EAP-MSCHAPv2",
        AuthMethod.EapOnly or AuthMethod.CertificateThenEap when p.EapMethod == EapMethod.Md5 => "EAP-MD5",
        AuthMethod.EapOnly when p.EapMethod == EapMethod.Tls => null,
        AuthMethod.EapOnly or AuthMethod.CertificateThenEap => "EAP-MSCHAPv2",
        _ => null,
    };

    private static bool UsesCertificate(Ikev2VpnProfile p) =>
        p.AuthMethod is AuthMethod.DigitalSignature or AuthMethod.EapTls or AuthMethod.CertificateThenEap
        || p.AuthMethod == AuthMethod.EapOnly && p.EapMethod == EapMethod.Tls;

    /// <summary>A PKCS#12 without a stored password that an empty password does not open.</summary>
    private static bool NeedsPkcs12Password(Ikev2VpnProfile p)
    {
        if (!UsesCertificate(p) || p.Pkcs12 is not { } pkcs12 || p.Pkcs12Password is not null) return false;
        using var leaf = Pkcs12Reader.Open(pkcs12, "", out _);
        return leaf is null;
    }

    /// <summary>Sets the PKCS#12 password, and the user certificate from the PKCS#12 when it opens (for <c>profile show</c>).</summary>
    private static void SetPkcs12Password(Ikev2VpnProfile.Builder b, string password)
    {
        b.Pkcs12Password = password;
        if (b.Pkcs12 is null || password.Length > ProfileLimits.MaxPkcs12PasswordLength) return; // the validator reports it
        var leaf = Pkcs12Reader.Open(b.Pkcs12, password, out _);
        if (leaf is null) return; // the validator names the field
        b.UserCert = leaf;
        b.Pkcs12Opened = (b.Pkcs12, password);
    }
}
