using System.Buffers.Binary;
using System.IO.Compression;

namespace Ringside.Web.Tests;

/// <summary>
/// Decodes the PNGs that chromium's screenshots are (8 bits per channel, RGB or RGBA, not interlaced) into RGBA
/// pixels, so the tests can look at what was drawn.
/// </summary>
public sealed class Png
{
    public int Width { get; }
    public int Height { get; }
    /// <summary>RGBA, row by row.</summary>
    public byte[] Pixels { get; }

    private Png(int width, int height, byte[] pixels) { Width = width; Height = height; Pixels = pixels; }

    public (byte R, byte G, byte B) this[int x, int y]
    {
        get { int i = (y * Width + x) * 4; return (Pixels[i], Pixels[i + 1], Pixels[i + 2]); }
    }

    public static Png Decode(byte[] file)
    {
        if (file.Length < 8 || BinaryPrimitives.ReadUInt64BigEndian(file) != 0x89504E470D0A1A0AUL) throw new FormatException("not a PNG");
        int width = 0, height = 0, colourType = 0;
        using var idat = new MemoryStream();
        for (int at = 8; at + 8 <= file.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(at));
            string type = System.Text.Encoding.ASCII.GetString(file, at + 4, 4);
            var data = file.AsSpan(at + 8, length);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                int depth = data[8];
                colourType = data[9];
                if (depth != 8 || (colourType != 2 && colourType != 6) || data[12] != 0)
                    throw new NotSupportedException($"PNG depth {depth}, colour type {colourType}, interlace {data[12]}");
            }
            else if (type == "IDAT") idat.Write(data);
            else if (type == "IEND") break;
            at += 12 + length;
        }
        int channels = colourType == 6 ? 4 : 3, stride = width * channels;
        var raw = new byte[height * (stride + 1)];
        idat.Position = 0;
        using (var z = new ZLibStream(idat, CompressionMode.Decompress)) z.ReadExactly(raw);

        var pixels = new byte[width * height * 4];
        var previous = new byte[stride];
        var row = new byte[stride];
        for (int y = 0; y < height; y++)
        {
            int filter = raw[y * (stride + 1)];
            Array.Copy(raw, y * (stride + 1) + 1, row, 0, stride);
            for (int i = 0; i < stride; i++)
            {
                int a = i >= channels ? row[i - channels] : 0, b = previous[i], c = i >= channels ? previous[i - channels] : 0;
                row[i] = (byte)(row[i] + filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => throw new FormatException($"PNG filter {filter}"),
                });
            }
            for (int x = 0; x < width; x++)
            {
                int o = (y * width + x) * 4, s = x * channels;
                pixels[o] = row[s]; pixels[o + 1] = row[s + 1]; pixels[o + 2] = row[s + 2];
                pixels[o + 3] = channels == 4 ? row[s + 3] : (byte)255;
            }
            (previous, row) = (row, previous);
        }
        return new Png(width, height, pixels);
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    /// <summary>Hue (degrees), saturation and value of an RGB colour.</summary>
    public static (double Hue, double Saturation, double Value) Hsv(byte r, byte g, byte b)
    {
        double R = r / 255.0, G = g / 255.0, B = b / 255.0, max = Math.Max(R, Math.Max(G, B)), min = Math.Min(R, Math.Min(G, B)), d = max - min;
        double hue = d == 0 ? 0 : max == R ? 60 * (((G - B) / d) % 6) : max == G ? 60 * ((B - R) / d + 2) : 60 * ((R - G) / d + 4);
        return (hue < 0 ? hue + 360 : hue, max == 0 ? 0 : d / max, max);
    }

    public static double HueDistance(double a, double b)
    {
        double d = Math.Abs(a - b) % 360;
        return d > 180 ? 360 - d : d;
    }
}
