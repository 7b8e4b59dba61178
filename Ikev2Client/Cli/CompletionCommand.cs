using System.CommandLine;
using System.CommandLine.Completions;
using Ikev2Client.Profiles;

namespace Ikev2Client.Cli;

/// <summary>
/// <c>ikev2 completion bash|zsh|fish</c>: a completion script for the shell. The scripts are thin: on Tab they ask
/// the program itself through System.CommandLine's <c>[suggest:POSITION]</c> directive (the program parses the line
/// with the same command tree that runs it, so the completions never go stale: commands, options, and stored
/// profile names), and fall back to file names when it has nothing to offer (profile files, captures).
/// </summary>
internal static class CompletionCommand
{
    public static readonly string[] Shells = ["bash", "zsh", "fish"];

    public static Command Create()
    {
        var shell = new Argument<string>("SHELL") { Description = "bash, zsh or fish" };
        shell.AcceptOnlyFromAmong(Shells);
        var command = new Command("completion", "Print a shell completion script for bash, zsh or fish (how to install it is in its first lines)") { shell };
        command.SetAction(pr =>
        {
            pr.InvocationConfiguration.Output.Write(Script(pr.GetValue(shell)!));
            return 0;
        });
        return command;
    }

    public static string Script(string shell) => shell switch
    {
        "bash" => Bash,
        "zsh" => Zsh,
        "fish" => Fish,
        _ => throw new ArgumentOutOfRangeException(nameof(shell), shell, "bash, zsh or fish"),
    };

    /// <summary>Completes stored profile names (the store of the user running the shell).</summary>
    public static void CompleteProfileNames(Argument argument, Func<ProfileStore> store)
    {
        argument.HelpName ??= argument.Name; // help shows NAME, not the list of stored profiles
        argument.CompletionSources.Add(context => ProfileNames(store, context));
    }

    private static IEnumerable<string> ProfileNames(Func<ProfileStore> store, CompletionContext context)
    {
        IReadOnlyList<string> names;
        try { names = store().List(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ProfileStoreException) { return []; }
        return names.Where(n => n.StartsWith(context.WordToComplete, StringComparison.Ordinal));
    }

    // Each script asks the program the user is completing (the first word, when it names an executable; else
    // ikev2 from PATH) with the line up to the cursor, the first word left out. The directive answers one candidate
    // per line, matching the current word anywhere; the shell keeps those that start with it (zsh's compadd and
    // fish do that themselves).

    private const string Bash = """
        # bash completion for ikev2. Install:
        #   ikev2 completion bash | sudo tee /usr/share/bash-completion/completions/ikev2 >/dev/null
        # or, for one user, add to ~/.bashrc:  source <(ikev2 completion bash)
        _ikev2_complete() {
            local prog="${COMP_WORDS[0]}"
            [[ $prog == */* && -x $prog ]] || prog=ikev2
            local line="${COMP_LINE:0:COMP_POINT}"
            line="${line#*"${COMP_WORDS[0]}"}"
            line="${line#"${line%%[![:space:]]*}"}"
            local cur="${COMP_WORDS[COMP_CWORD]}" IFS=$'\n' candidate
            COMPREPLY=()
            for candidate in $("$prog" "[suggest:${#line}]" "$line" 2>/dev/null); do
                [[ $candidate == "$cur"* ]] && COMPREPLY+=("$(printf '%q' "$candidate")")
            done
        }
        complete -o bashdefault -o default -F _ikev2_complete ikev2

        """;

    private const string Zsh = """
        #compdef ikev2
        # zsh completion for ikev2. Install:
        #   ikev2 completion zsh > "${fpath[1]}/_ikev2"   (then start a new shell)
        # or add to ~/.zshrc (after compinit):  source <(ikev2 completion zsh)
        _ikev2() {
            local prog="${words[1]}"
            [[ $prog == */* && -x $prog ]] || prog=ikev2
            local line="${(j: :)words[2,CURRENT]}"
            local -a suggestions
            suggestions=("${(@f)$("$prog" "[suggest:${#line}]" "$line" 2>/dev/null)}")
            suggestions=(${suggestions:#})
            if (( ${#suggestions} )); then
                compadd -- "${suggestions[@]}"
            else
                _files
            fi
        }
        if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
            _ikev2 "$@"
        else
            compdef _ikev2 ikev2
        fi

        """;

    private const string Fish = """
        # fish completion for ikev2. Install:
        #   ikev2 completion fish > ~/.config/fish/completions/ikev2.fish
        function __ikev2_complete
            set -l words (commandline -opc)
            set -l prog $words[1]
            string match -q -- '*/*' $prog; and test -x $prog; or set prog ikev2
            set -l line (string join ' ' -- $words[2..-1] (commandline -ct))
            set -l suggestions ($prog "[suggest:"(string length -- "$line")"]" "$line" 2>/dev/null | string match -rv '^$')
            if test (count $suggestions) -gt 0
                printf '%s\n' $suggestions
            else
                __fish_complete_path (commandline -ct)
            end
        end
        complete -c ikev2 -f -a '(__ikev2_complete)'

        """;
}
