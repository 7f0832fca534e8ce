using System.Globalization;

namespace Ringside.Assets;

/// <summary>An sRGB colour as written in CSS hex ("#c0392b").</summary>
public readonly record struct Colour(byte R, byte G, byte B)
{
    public static Colour FromHex(string hex)
    {
        string digits = hex.StartsWith('#') ? hex[1..] : hex;
        if (digits.Length != 6 || !uint.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint rgb))
            throw new ArgumentException($"'{hex}' is not a #rrggbb colour.", nameof(hex));
        return new Colour((byte)(rgb >> 16), (byte)(rgb >> 8), (byte)rgb);
    }

    public string Hex => $"#{R:x2}{G:x2}{B:x2}";

    public override string ToString() => Hex;

    /// <summary>Linear RGB, as glTF's baseColorFactor expects; hex colours are sRGB, so without this
    /// conversion every fighter would render washed out.</summary>
    public float[] ToLinear() => [Linear(R), Linear(G), Linear(B)];

    private static float Linear(byte channel)
    {
        double s = channel / 255.0;
        double linear = s <= 0.04045 ? s / 12.92 : Math.Pow((s + 0.055) / 1.055, 2.4);
        return (float)Math.Round(linear, 5); // short, stable JSON numbers
    }
}
