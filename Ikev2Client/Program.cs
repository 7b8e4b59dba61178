namespace Ikev2Client;

internal static class Program
{
    public static int Main(string[] args)
    {
        // The last net under Cli.CommandLine's own: an exception on a thread no command awaited ends the process with
        // one line and exit 1, not the runtime's stack trace.
        AppDomain.CurrentDomain.UnhandledException += (_, e) =>
        {
            Console.Error.WriteLine(Cli.CommandLine.Unexpected(e.ExceptionObject as Exception ?? new InvalidOperationException("unknown failure")));
            if (Environment.GetEnvironmentVariable("IKEV2_DEBUG") == "1") Console.Error.WriteLine(e.ExceptionObject);
            Environment.Exit(1);
        };
        return Cli.CommandLine.Run(args);
    }
}
