using System.ComponentModel;
using System.Diagnostics;

namespace Ikev2Client.Platform.Linux;

/// <summary>
/// Runs <c>nft -f -</c> with a ruleset on standard input: the whole input is one transaction, which the kernel applies
/// completely or not at all. The command runs in the network namespace of the calling thread (the child inherits it).
/// </summary>
internal static class Nft
{
    /// <summary>The default command.</summary>
    public static readonly IReadOnlyList<string> DefaultCommand = ["nft"];

    /// <summary>Runs <paramref name="command"/> (e.g. <c>["nft"]</c>) with <c>-f -</c> and <paramref name="script"/> on stdin.</summary>
    /// <exception cref="LockdownFirewallException">nft is missing, failed, or did not finish in 15 s.</exception>
    public static void Run(IReadOnlyList<string> command, string script)
    {
        if (command.Count == 0) throw new ArgumentException("empty nft command", nameof(command));
        var psi = new ProcessStartInfo(command[0])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in command.Skip(1)) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("-f");
        psi.ArgumentList.Add("-");
        Process process;
        try { process = Process.Start(psi) ?? throw new LockdownFirewallException($"could not start '{command[0]}'", missing: true); }
        catch (Win32Exception e)
        {
            throw new LockdownFirewallException(
                $"lockdown needs nftables, and '{command[0]}' could not be run ({e.Message}); install the nftables package", missing: true);
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEndAsync();
            try
            {
                process.StandardInput.Write(script);
                process.StandardInput.Close();
            }
            catch (IOException) { /* nft exited early; its stderr says why */ }
            if (!process.WaitForExit(15_000))
            {
                try { process.Kill(); } catch (InvalidOperationException) { }
                throw new LockdownFirewallException("nft did not finish within 15 s");
            }
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                var message = (stderr.Result + stdout.Result).Trim().ReplaceLineEndings(" ");
                if (message.Length > 400) message = message[..400] + "…";
                throw new LockdownFirewallException($"nft failed (exit {process.ExitCode}): {message}");
            }
        }
    }

    /// <summary>Deletes a table if it exists (one transaction: create-if-missing, then delete, so a missing table is no error).</summary>
    public static void DeleteTable(IReadOnlyList<string> command, string family, string name) =>
        Run(command, $"table {family} {name}\ndelete table {family} {name}\n");
}
