using System.Text.RegularExpressions;
using FluentAssertions;
using Ikev2Client.Cli;
using Spectre.Console;
using Xunit;

namespace Ikev2Client.Tests.Cli;

/// <summary>Issue 12, case 8 and the CLI's top level: usage errors are one line and exit 2, nothing prints a stack trace.</summary>
public sealed class CliHostileTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Ikev2Client.Cli.CommandLine.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Theory]
    [InlineData("--ike", "bogus", "--ike: unknown algorithm keyword 'bogus'")]
    [InlineData("--esp", "bogus", "--esp: unknown algorithm keyword 'bogus'")]
    [InlineData("--ike", "aes128-sha256", "--ike: IKE proposal")]
    [InlineData("--esp", "aes128-\u001b]0;pwned\u0007", @"\u001b]0;pwned\u0007")]
    public void A_bad_demo_proposal_is_a_one_line_usage_error(string option, string value, string expected)
    {
        var (code, _, err) = Run("demo", option, value);
        code.Should().Be(2);
        err.TrimEnd('\n').Should().NotContain("\n").And.Contain(expected);
        err.Should().NotContain("Unhandled exception").And.NotContain(" at ").And.NotContain("FormatException");
        err.TrimEnd('\n').Where(char.IsControl).Should().BeEmpty();
    }

    [Fact]
    public async Task The_demo_always_shows_the_virtual_ip()
    {
        for (int run = 0; run < 8; run++)
        {
            var text = new StringWriter();
            var console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(text), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No,
            });
            console.Profile.Width = 240;
            var error = new StringWriter();
            var code = await DemoCommand.RunAsync(null, null, forceEncapsulation: true, transport: false, console, error);
            code.Should().Be(0, text + error.ToString());
            Regex.IsMatch(text.ToString(), @"Virtual IP[^\n]*10\.99\.0\.\d+").Should().BeTrue($"run {run + 1} shows the assigned address:\n{text}");
            Regex.IsMatch(text.ToString(), @"DNS[^\n]*10\.99\.0\.53").Should().BeTrue();
        }
    }

    [Fact]
    public async Task The_post_quantum_demo_shows_the_intermediate_exchange_and_ML_KEM()
    {
        var text = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(text), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 240;
        var error = new StringWriter();
        var code = await DemoCommand.RunAsync(null, null, forceEncapsulation: true, transport: false, console, error, postQuantum: true);
        code.Should().Be(0, text + error.ToString());
        text.ToString().Should().Contain("IkeIntermediate request #1").And.Contain("IkeAuth request #2");
        Regex.IsMatch(text.ToString(), @"IKE algorithms[^\n]*CURVE_25519/ML-KEM-768").Should().BeTrue(text.ToString());
    }

    [Fact]
    public void Usage_errors_exit2_and_unexpected_exceptions_are_one_line()
    {
        Run("demo", "--no-such-option").Code.Should().Be(2);
        Run("no-such-command").Code.Should().Be(2);
        var line = Ikev2Client.Cli.CommandLine.Unexpected(new InvalidOperationException("boom\n   at Somewhere.Secret()\u001b[2J"));
        line.Should().StartWith("ikev2: unexpected error (InvalidOperationException): boom").And.NotContain("\n").And.NotContain("\u001b");
        Ikev2Client.Cli.CommandLine.Unexpected(new AggregateException(new OperationCanceledException())).Should().Be("ikev2: cancelled");
    }

    [Fact]
    public void Inspect_on_hostile_paths_is_one_line()
    {
        var dir = Directory.CreateTempSubdirectory("ikev2-cli").FullName;
        try
        {
            var (code, _, err) = Run("inspect", Path.Combine(dir, "no\u001b[31mfile.pcap"));
            code.Should().Be(2);
            err.Should().Contain(@"no\u001b[31mfile.pcap does not exist").And.NotContain("\u001b");
            (code, _, err) = Run("inspect", dir);
            code.Should().Be(2, err);
            err.TrimEnd('\n').Should().NotContain("\n");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
