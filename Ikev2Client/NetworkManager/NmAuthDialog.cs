using System.Text;
using System.Text.Json.Nodes;
using Ikev2Client.Profiles;

namespace Ikev2Client.NetworkManager;

/// <summary>
/// How a secret agent ran the auth dialog: <c>-u UUID -n NAME -s SERVICE [-i] [-r] [-t HINT]... [--external-ui-mode]</c>
/// (the <c>[GNOME] auth-dialog=</c> program of the <c>.name</c> file; GNOME Shell and nmcli's agent start it).
/// </summary>
/// <param name="Uuid">The connection's UUID (<c>-u</c>).</param>
/// <param name="Name">The connection's name (<c>-n</c>).</param>
/// <param name="Service">The VPN service type (<c>-s</c>); must be ours.</param>
/// <param name="AllowInteraction"><c>-i</c>: the user may be asked; without it only what the agent has is passed on.</param>
/// <param name="Reprompt"><c>-r</c>: the secrets the agent had were rejected; ask again even where a value exists.</param>
/// <param name="Hints"><c>-t</c>: the secrets the plugin asked for (its <c>SecretsRequired</c>), and <c>x-vpn-message:TEXT</c>.</param>
/// <param name="ExternalUi"><c>--external-ui-mode</c>: describe the prompt as a keyfile; the agent draws it.</param>
public sealed record NmAuthDialogOptions(
    string Uuid, string Name, string Service, bool AllowInteraction, bool Reprompt, IReadOnlyList<string> Hints, bool ExternalUi)
{
    /// <summary>The hint prefix NetworkManager gives the plugin's <c>SecretsRequired</c> message.</summary>
    public const string MessageHintPrefix = "x-vpn-message:";

    /// <summary>
    /// Parses the auth dialog's argument vector (no response files, no option bundling: a connection name may be any
    /// text). Throws <see cref="NmAuthDialogException"/> for a usage error.
    /// </summary>
    public static NmAuthDialogOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        string? uuid = null, name = null, service = null;
        bool interaction = false, reprompt = false, external = false;
        var hints = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new NmAuthDialogException($"{arg} needs a value");
            switch (arg)
            {
                case "-u" or "--uuid": uuid = Value(); break;
                case "-n" or "--name": name = Value(); break;
                case "-s" or "--service": service = Value(); break;
                case "-t" or "--hint": hints.Add(Value()); break;
                case "-i" or "--allow-interaction": interaction = true; break;
                case "-r" or "--reprompt": reprompt = true; break;
                case "--external-ui-mode": external = true; break;
                default: throw new NmAuthDialogException($"unknown argument {SafeText.Quote(arg)}");
            }
        }
        if (uuid is null || name is null || service is null)
            throw new NmAuthDialogException("-u UUID, -n NAME and -s SERVICE are required (the dialog is started by a NetworkManager secret agent)");
        if (service != NmVpnConnectionSettings.ServiceType)
            throw new NmAuthDialogException($"the service {SafeText.Quote(service)} is not this plugin's ({NmVpnConnectionSettings.ServiceType})");
        return new NmAuthDialogOptions(uuid, name, service, interaction, reprompt, hints, external);
    }
}

/// <summary>What the secret agent wrote on the dialog's standard input: the connection's <c>vpn.data</c> and <c>vpn.secrets</c>.</summary>
public sealed record NmAuthDialogInput(IReadOnlyDictionary<string, string> Data, IReadOnlyDictionary<string, string> Secrets);

/// <summary>One secret the dialog shows: its <c>vpn.secrets</c> key, what the prompt says, the value the agent had, whether to ask.</summary>
public sealed record NmAuthSecret(string Key, string Label, string Value, bool ShouldAsk);

/// <summary>A usage error, malformed input from the agent, or nothing to ask with: one line, never a secret value.</summary>
public sealed class NmAuthDialogException(string message, int exitCode = 1) : Exception(message)
{
    /// <summary>The dialog's exit code: 2 for bad input (arguments, the agent's description), 1 otherwise (docs/service.md).</summary>
    public int ExitCode { get; } = exitCode;
}

/// <summary>
/// The auth dialog of the NetworkManager plugin (<c>ikev2 nm-auth-dialog</c>): the program GNOME Shell and nmcli's secret
/// agent run to learn which of our VPN secrets to ask for (docs/networkmanager.md).
/// <list type="number">
/// <item>The agent writes the connection: <c>DATA_KEY=k</c>, <c>DATA_VAL=v</c> (one line per line of a multi-line value),
/// <c>SECRET_KEY=k</c>, <c>SECRET_VAL=v</c>, pairs separated by empty lines, ended by <c>DONE</c> (<see cref="ReadInput"/>).</item>
/// <item>The dialog picks the secrets (<see cref="SecretsFor"/>): those the plugin's <c>SecretsRequired</c> named (the
/// <c>-t</c> hints), else those the connection needs (its <c>KEY-flags</c> items, as the plugin decides); it asks for
/// those the agent has no value for (or all of them again with <c>-r</c>).</item>
/// <item>With <c>--external-ui-mode</c> it prints a keyfile, group <c>[VPN Plugin UI]</c> (<c>Version=2</c>,
/// <c>Title</c>, <c>Description</c>) and one group per secret (<c>Value</c>, <c>Label</c>, <c>IsSecret</c>,
/// <c>ShouldAsk</c>), and exits: the agent draws the prompt (<see cref="ExternalUiKeyfile"/>).</item>
/// <item>Otherwise it asks itself (on the terminal; we have no window of our own), prints <c>key\nvalue\n</c> pairs and an
/// empty line, and waits for <c>QUIT</c> or the end of its input.</item>
/// </list>
/// </summary>
public static class NmAuthDialog
{
    /// <summary>The most the agent may write (vpn.data holds a profile with its CA certificate: a few KiB).</summary>
    public const int MaxInputChars = 1 << 20;

    /// <summary>The secrets a person can type; the others (a private key, a PKCS#12 file) are files, not prompts.</summary>
    public static IReadOnlyList<string> TypeableSecrets { get; } = ["psk", "password", "pkcs12Password"];

    private const int BadInput = 2;
    private const string DataKey = "DATA_KEY=", DataVal = "DATA_VAL=", SecretKey = "SECRET_KEY=", SecretVal = "SECRET_VAL=";

    /// <summary>
    /// Reads the agent's description of the connection up to <c>DONE</c> (nothing after it). Throws
    /// <see cref="NmAuthDialogException"/> naming the line (never its value) for input that breaks the protocol.
    /// </summary>
    public static NmAuthDialogInput ReadInput(TextReader input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var data = new Dictionary<string, string>(StringComparer.Ordinal);
        var secrets = new Dictionary<string, string>(StringComparer.Ordinal);
        Dictionary<string, string>? target = null;
        string? key = null;
        StringBuilder? value = null;
        var total = 0;
        var lineNo = 0;

        void Complete()
        {
            if (key is null) return;
            if (value is null) throw new NmAuthDialogException($"line {lineNo}: the key {SafeText.Quote(key)} has no value", BadInput);
            target![key] = value.ToString();
            key = null;
            value = null;
        }

        while (true)
        {
            var line = input.ReadLine();
            lineNo++;
            if (line is null) throw new NmAuthDialogException("the input ended before DONE (is a NetworkManager secret agent running the dialog?)", BadInput);
            total += line.Length + 1;
            if (total > MaxInputChars) throw new NmAuthDialogException($"the input is larger than {MaxInputChars} characters", BadInput);
            if (line.Length == 0) { Complete(); continue; }
            if (line == "DONE") { Complete(); break; }
            if (line.StartsWith(DataKey, StringComparison.Ordinal) || line.StartsWith(SecretKey, StringComparison.Ordinal))
            {
                Complete();
                var isData = line.StartsWith(DataKey, StringComparison.Ordinal);
                key = line[(isData ? DataKey : SecretKey).Length..];
                if (key.Length == 0) throw new NmAuthDialogException($"line {lineNo}: an empty key", BadInput);
                target = isData ? data : secrets;
                continue;
            }
            if (line.StartsWith(DataVal, StringComparison.Ordinal) || line.StartsWith(SecretVal, StringComparison.Ordinal))
            {
                var isData = line.StartsWith(DataVal, StringComparison.Ordinal);
                if (key is null || target != (isData ? data : secrets))
                    throw new NmAuthDialogException($"line {lineNo}: {(isData ? "DATA_VAL" : "SECRET_VAL")} without a {(isData ? "DATA_KEY" : "SECRET_KEY")} before it", BadInput);
                var text = line[(isData ? DataVal : SecretVal).Length..];
                if (value is null) value = new StringBuilder(text);
                else value.Append('\n').Append(text); // a multi-line value: one VAL line per line
                continue;
            }
            // Never echo the line: it may be part of a secret.
            throw new NmAuthDialogException($"line {lineNo}: not DATA_KEY=, DATA_VAL=, SECRET_KEY=, SECRET_VAL= or DONE ({line.Length} characters)", BadInput);
        }
        return new NmAuthDialogInput(data, secrets);
    }

    /// <summary>
    /// The secrets to show: with hints (the plugin's <c>SecretsRequired</c>), exactly the hinted keys that are secrets of
    /// ours; without, the ones the connection needs (<see cref="NmVpnConnectionSettings.RequiredSecrets"/>). Each is asked
    /// for when the agent has no value for it, when <c>-r</c> says the agent's value was rejected, or when it is never
    /// saved (not-saved flag, 2). A value the agent has (GNOME Shell runs the dialog for every VPN request, with what its
    /// keyring holds) is passed on unasked: an agent-owned password is asked once. Nothing is asked without <c>-i</c>, nor
    /// a secret that cannot be typed (a private key, a PKCS#12 file).
    /// </summary>
    public static IReadOnlyList<NmAuthSecret> SecretsFor(NmAuthDialogOptions options, NmAuthDialogInput input)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(input);
        var settings = new NmVpnConnectionSettings(options.Name, options.Uuid, input.Data, input.Secrets);
        var hinted = options.Hints.Where(h => !h.StartsWith(NmAuthDialogOptions.MessageHintPrefix, StringComparison.Ordinal))
            .Where(NmVpnConnectionSettings.SecretKeys.Contains).Distinct(StringComparer.Ordinal).ToList();
        var keys = hinted.Count > 0 ? hinted : settings.RequiredSecrets;
        var username = Username(input.Data);
        var result = new List<NmAuthSecret>();
        foreach (var key in NmVpnConnectionSettings.SecretKeys.Where(keys.Contains))
        {
            var value = input.Secrets.TryGetValue(key, out var v) ? v : "";
            var notSaved = input.Data.TryGetValue(key + "-flags", out var f) && uint.TryParse(f, out var flags) && (flags & (uint)NmSecretFlags.NotSaved) != 0;
            var ask = options.AllowInteraction && TypeableSecrets.Contains(key) && (value.Length == 0 || options.Reprompt || notSaved);
            result.Add(new NmAuthSecret(key, Label(key, username), value, ask));
        }
        return result;
    }

    /// <summary>What the prompt says: the plugin's message when it sent one, else which connection wants what.</summary>
    public static string Description(NmAuthDialogOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var message = options.Hints.FirstOrDefault(h => h.StartsWith(NmAuthDialogOptions.MessageHintPrefix, StringComparison.Ordinal));
        return message is not null && message.Length > NmAuthDialogOptions.MessageHintPrefix.Length
            ? message[NmAuthDialogOptions.MessageHintPrefix.Length..]
            : $"Authentication is required to connect to the VPN '{options.Name}'.";
    }

    /// <summary>The external-UI keyfile (GLib key file syntax) GNOME Shell and nmcli turn into their prompt.</summary>
    public static string ExternalUiKeyfile(NmAuthDialogOptions options, IReadOnlyList<NmAuthSecret> secrets)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(secrets);
        var sb = new StringBuilder();
        sb.Append("[VPN Plugin UI]\n");
        sb.Append("Version=2\n");
        sb.Append("Title=").Append(NmKeyfile.Escape("Authenticate VPN " + options.Name)).Append('\n');
        sb.Append("Description=").Append(NmKeyfile.Escape(Description(options))).Append('\n');
        foreach (var s in secrets)
        {
            sb.Append('\n').Append('[').Append(s.Key).Append("]\n");
            sb.Append("Value=").Append(NmKeyfile.Escape(s.Value)).Append('\n');
            sb.Append("Label=").Append(NmKeyfile.Escape(s.Label)).Append('\n');
            sb.Append("IsSecret=true\n");
            sb.Append("ShouldAsk=").Append(s.ShouldAsk ? "true" : "false").Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>
    /// Runs the dialog: reads the connection from <paramref name="input"/>, then either prints the external-UI keyfile and
    /// returns, or asks with <paramref name="ask"/> (a terminal prompt: label → answer, null when cancelled; null itself
    /// when there is no terminal), prints the secrets as <c>key\nvalue\n</c> pairs and an empty line, and waits for
    /// <c>QUIT</c> or the end of <paramref name="input"/>. Returns the exit code: 0; 2 with one line on
    /// <paramref name="error"/> (no secret) when the input is malformed; 1 when nothing can ask or the user cancelled.
    /// </summary>
    public static int Run(NmAuthDialogOptions options, TextReader input, TextWriter output, TextWriter error, Func<NmAuthSecret, string?>? ask)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        try
        {
            var secrets = SecretsFor(options, ReadInput(input));
            foreach (var s in secrets.Where(s => s.Value.Length == 0 && !TypeableSecrets.Contains(s.Key)))
                error.WriteLine($"nm-auth-dialog: '{SafeText.Clip(options.Name, 200)}' needs its {s.Label}, which cannot be typed into a prompt: " +
                                "keep it in the plugin's store (sudo ikev2 nm-export NAME --secrets store)");
            if (options.ExternalUi)
            {
                output.Write(ExternalUiKeyfile(options, secrets));
                output.Flush();
                return 0;
            }
            var answers = new List<(string Key, string Value)>();
            foreach (var s in secrets)
            {
                var value = s.Value;
                if (s.ShouldAsk)
                {
                    if (ask is null)
                        throw new NmAuthDialogException($"'{SafeText.Clip(options.Name, 200)}' needs {string.Join(", ", secrets.Where(x => x.ShouldAsk).Select(x => x.Key))}, " +
                            "but there is no terminal to ask on and the secret agent did not ask for --external-ui-mode " +
                            "(use nmcli --ask, a passwd-file, or nm-export --secrets store)");
                    value = ask(s) ?? throw new NmAuthDialogException("cancelled");
                    if (value.Length == 0) throw new NmAuthDialogException($"no {s.Label} given");
                }
                if (value.Contains('\n', StringComparison.Ordinal))
                    throw new NmAuthDialogException($"the {s.Key} spans several lines and cannot be passed to the secret agent");
                if (value.Length > 0) answers.Add((s.Key, value));
            }
            foreach (var (key, value) in answers) output.Write($"{key}\n{value}\n");
            output.Write("\n\n");
            output.Flush();
            // The agent reads until the empty line, then writes QUIT (or closes our input).
            while (input.ReadLine() is { } line && line != "QUIT") { }
            return 0;
        }
        catch (NmAuthDialogException e)
        {
            error.WriteLine("nm-auth-dialog: " + SafeText.Line(e.Message, 600));
            return e.ExitCode;
        }
    }

    private static string? Username(IReadOnlyDictionary<string, string> data)
    {
        if (!data.TryGetValue(NmVpnConnectionSettings.ProfileKey, out var json) || json.Length == 0) return null;
        try { return (JsonNode.Parse(json) as JsonObject)?["username"] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null; }
        catch (System.Text.Json.JsonException) { return null; }
        catch (InvalidOperationException) { return null; }
    }

    private static string Label(string key, string? username) => key switch
    {
        "password" => username is null ? "Password" : $"Password of {SafeText.Clip(username, 128)}",
        "psk" => "Pre-shared key",
        "pkcs12Password" => "Password of the user certificate (PKCS#12)",
        "privateKey" => "private key (privateKey)",
        "pkcs12" => "user certificate file (pkcs12)",
        _ => key,
    };
}
