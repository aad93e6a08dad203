namespace Centime.Exchange;

/// <summary>
/// A Vyper revert inside the math. Thrown only below <see cref="Pool"/>, which catches it at its boundary and
/// returns the <see cref="ExchangeError"/>; it never escapes the public API.
/// </summary>
internal sealed class PoolMathException : Exception
{
    public PoolMathException(ExchangeError error)
        : base(error.ToString()) => Error = error;

    public PoolMathException()
    {
    }

    public PoolMathException(string message)
        : base(message)
    {
    }

    public PoolMathException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ExchangeError Error { get; }
}
