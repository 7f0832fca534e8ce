using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Ringside.Sim;

/// <summary>
/// One arena's run of a state array (its fighters' slots), indexed without bounds checks in Release builds.
/// The step makes a few dozen of these per arena (17 in the step, 10 in the observation writer); as spans each
/// would cost a null check and a length check on creation and a check on many accesses, which for a duel is
/// more work than the physics itself. Safe because <see cref="ArenaBatch"/> sizes every array for all its arenas
/// (or, for the fighters' constants and weights, its slots), the fighter count is 2-8 (validated), and
/// <c>Step</c> checks the caller's buffers: <see cref="StepBuffers"/> creates all its arrays from one agent
/// count, so checking its <c>Agents</c> covers them all. Debug builds keep every check, and scripts/test.sh
/// runs the simulation tests in both.
/// </summary>
internal readonly ref struct Slots<T>
{
#if DEBUG
    private readonly Span<T> span;

    public Slots(T[] array, int start, int length) => span = array.AsSpan(start, length);

    private Slots(Span<T> span) => this.span = span;

    public ref T this[int index] => ref span[index];

    public Slots<T> Slice(int start, int length) => new(span.Slice(start, length));

    public Span<T> AsSpan(int start, int length) => span.Slice(start, length);
#else
    private readonly ref T first;

    public Slots(T[] array, int start, int length) => first = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(array), start);

    private Slots(ref T first) => this.first = ref first;

    public ref T this[int index] => ref Unsafe.Add(ref first, index);

    public Slots<T> Slice(int start, int length) => new(ref Unsafe.Add(ref first, start));

    public Span<T> AsSpan(int start, int length) => MemoryMarshal.CreateSpan(ref Unsafe.Add(ref first, start), length);
#endif
}
