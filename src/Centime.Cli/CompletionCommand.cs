using System.CommandLine;

namespace Centime.Cli;

/// <summary>
/// `centime completion bash|zsh`: prints a shell function that asks centime itself for completions through the
/// parser's <c>[suggest:POSITION]</c> directive, so the completions always match this binary's commands and options.
/// Install: <c>source &lt;(centime completion bash)</c> (or zsh) in the shell's rc file.
/// </summary>
internal static class CompletionCommand
{
    private const string Bash = """
        # centime completion for bash: source <(centime completion bash)
        _centime_complete() {
          local IFS=$'\n'
          COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}"))
        }
        complete -o default -F _centime_complete centime
        """;

    private const string Zsh = """
        # centime completion for zsh: source <(centime completion zsh)
        _centime_complete() {
          local -a completions
          completions=("${(@f)$("${words[1]}" "[suggest:${#BUFFER}]" "${BUFFER}" 2>/dev/null)}")
          compadd -- "${completions[@]}"
        }
        compdef _centime_complete centime
        """;

    public static Command Create()
    {
        var shell = new Argument<string>("shell") { Description = "bash or zsh" };
        shell.AcceptOnlyFromAmong("bash", "zsh");
        var command = new Command("completion", "Print a shell completion script: source <(centime completion bash) or zsh.") { shell };
        command.SetAction(parse =>
        {
            Console.Out.WriteLine(parse.GetValue(shell) == "zsh" ? Zsh : Bash);
            return CliContext.ExitOk;
        });
        return command;
    }
}
