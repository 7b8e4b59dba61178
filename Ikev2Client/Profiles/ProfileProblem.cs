namespace Ikev2Client.Profiles;

/// <summary>One validation problem: the camelCase JSON name of the field and what is wrong with it.</summary>
public sealed record ProfileProblem(string Field, string Message)
{
    /// <summary>What is wrong, one safe line (values in it are quoted with <see cref="SafeText.Quote"/>).</summary>
    public string Message { get; init; } = SafeText.Line(Message, 512);

    /// <inheritdoc />
    public override string ToString() => $"{Field}: {Message}";
}

/// <summary>Thrown by <see cref="Ikev2VpnProfile.Builder.Build"/>: lists every problem found, each naming its field.</summary>
public sealed class ProfileValidationException : Exception
{
    /// <summary>Creates the exception from a non-empty problem list.</summary>
    public ProfileValidationException(IReadOnlyList<ProfileProblem> problems)
        : base(SafeText.Line("invalid profile: " + string.Join("; ", problems)))
    {
        Problems = problems;
    }

    /// <summary>Every problem found, in field order.</summary>
    public IReadOnlyList<ProfileProblem> Problems { get; }
}
