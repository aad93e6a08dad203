using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Centime.Agents.X402;

/// <summary>Header names and their codec: standard base64 (<c>+/</c>, <c>=</c> padding) of UTF-8 JSON.</summary>
public static class X402Headers
{
    public const string PaymentRequired = "PAYMENT-REQUIRED";
    public const string PaymentSignature = "PAYMENT-SIGNATURE";
    public const string PaymentResponse = "PAYMENT-RESPONSE";

    /// <summary>v1 request header.</summary>
    public const string XPayment = "X-PAYMENT";

    /// <summary>v1 response header.</summary>
    public const string XPaymentResponse = "X-PAYMENT-RESPONSE";

    /// <summary>Largest header value decoded (the official client signs well under 4 KiB).</summary>
    public const int MaxEncodedLength = 16 * 1024;

    /// <summary>JSON settings of the wire: the spec's names as declared, nulls omitted, unknown fields ignored.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Encode<T>(T value) => Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(value, Json));

    /// <summary>Decodes a header value; false for anything but standard base64 of a JSON object of type T.</summary>
    public static bool TryDecode<T>(string? header, [NotNullWhen(true)] out T? value)
        where T : class
    {
        value = null;
        if (string.IsNullOrEmpty(header) || header.Length > MaxEncodedLength || !IsStandardBase64(header))
        {
            return false;
        }

        var bytes = new byte[(header.Length / 4 * 3) + 3];
        if (!Convert.TryFromBase64String(header, bytes, out var written))
        {
            return false;
        }

        try
        {
            value = JsonSerializer.Deserialize<T>(bytes.AsSpan(0, written), Json);
            return value is not null;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>The reference client's check, /^[A-Za-z0-9+/]*={0,2}$/, plus a length that is a multiple of 4.</summary>
    private static bool IsStandardBase64(string s)
    {
        if (s.Length % 4 != 0)
        {
            return false;
        }

        var end = s.Length;
        if (end > 0 && s[end - 1] == '=')
        {
            end--;
            if (end > 0 && s[end - 1] == '=')
            {
                end--;
            }
        }

        for (var i = 0; i < end; i++)
        {
            var c = s[i];
            if (!(char.IsAsciiLetterOrDigit(c) || c == '+' || c == '/'))
            {
                return false;
            }
        }

        return true;
    }
}
