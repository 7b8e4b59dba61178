using System.CommandLine;
using Ikev2Client.Inspect;

namespace Ikev2Client.Cli;

/// <summary><c>ikev2 inspect FILE [--keys KEYS] [--json]</c>: what a person reaches for when a connection fails.</summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("file") { Description = "A pcap or pcapng capture (tcpdump -w, Wireshark)" };
        var keys = new Option<FileInfo?>("--keys") { Description = "SK_* keys: JSON {spiI,spiR,skEi,skEr,skAi,skAr} (or a list) or a Wireshark ikev2_decryption_table" };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a payload tree" };
        var cmd = new Command("inspect", "Decode the IKEv2 messages (and list ESP packets) in a capture") { file, keys, json };
        cmd.SetAction(parse => Run(parse.GetValue(file)!, parse.GetValue(keys), parse.GetValue(json), Console.Out, Console.Error));
        return cmd;
    }

    /// <summary>Exit codes: 0 read to the end; 1 the capture is truncated or corrupt (what was read is shown); 2 bad arguments.</summary>
    public static int Run(FileInfo file, FileInfo? keysFile, bool json, TextWriter stdout, TextWriter stderr)
    {
        if (!file.Exists)
        {
            stderr.WriteLine($"ikev2 inspect: {file.FullName} does not exist");
            return 2;
        }
        List<IkeSaSecrets>? keys = null;
        if (keysFile != null)
        {
            if (!keysFile.Exists)
            {
                stderr.WriteLine($"ikev2 inspect: key file {keysFile.FullName} does not exist");
                return 2;
            }
            try { keys = KeyTable.Parse(File.ReadAllText(keysFile.FullName)); }
            catch (KeyFileException e)
            {
                stderr.WriteLine($"ikev2 inspect: {keysFile.Name}: {e.Message}");
                return 2;
            }
        }
        var report = new IkeInspector(keys).Inspect(file.Name, File.ReadAllBytes(file.FullName));
        stdout.Write(json ? InspectRenderer.ToJson(report) + Environment.NewLine : InspectRenderer.ToText(report));
        if (report.CaptureError != null)
        {
            stderr.WriteLine($"ikev2 inspect: {file.Name}: {report.CaptureError}");
            return 1;
        }
        return 0;
    }
}
