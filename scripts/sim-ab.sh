#!/usr/bin/env bash
# A/B speed of the simulation: the Ringside.Sim of git ref REF against the working tree's, both in one process,
# alternated every 0.25 s so that the host's drifting speed cancels out. Prints the median per-round ratio.
# usage: scripts/sim-ab.sh REF ["FIGHTERS THREADS ROUNDS" ...]      e.g. scripts/sim-ab.sh HEAD~1 "2 1 20" "6 2 12"
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ref="${1:?usage: scripts/sim-ab.sh REF [\"FIGHTERS THREADS ROUNDS\" ...]}"; shift
[ $# -gt 0 ] || set -- "2 1 20" "2 2 20"
dir="$(mktemp -d)"; trap 'rm -rf "$dir"' EXIT
mkdir "$dir/old"
for f in $(git -C "$root" ls-tree --name-only "$ref" src/Ringside.Sim/ | grep '\.cs$'); do
  git -C "$root" show "$ref:$f" | sed 's/^namespace Ringside.Sim;/namespace Old;/' > "$dir/old/$(basename "$f")"
done
cat > "$dir/ab.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><Nullable>disable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings><AllowUnsafeBlocks>true</AllowUnsafeBlocks><TreatWarningsAsErrors>false</TreatWarningsAsErrors><NoWarn>\$(NoWarn);CS8632</NoWarn>
  </PropertyGroup>
  <ItemGroup><ProjectReference Include="$root/src/Ringside.Sim/Ringside.Sim.csproj" /></ItemGroup>
</Project>
EOF
cat > "$dir/Program.cs" <<'EOF'
using System.Diagnostics;
int fighters = int.Parse(args[0]), threads = int.Parse(args[1]), rounds = int.Parse(args[2]);
int arenas = 8192 / fighters;
using var oldBatch = new Old.ArenaBatch(Old.ArenaConfig.Standard(fighters), arenas, threads);
using var newBatch = new Ringside.Sim.ArenaBatch(Ringside.Sim.ArenaConfig.Standard(fighters), arenas, threads);
var oldBuffers = new Old.StepBuffers(oldBatch.AgentCount);
var newBuffers = new Ringside.Sim.StepBuffers(newBatch.AgentCount);
var rng = new Random(1);
var table = new int[64][];
for (int t = 0; t < table.Length; t++) table[t] = Enumerable.Range(0, oldBatch.AgentCount).Select(_ => rng.Next(10)).ToArray();
long oldSteps = 0, newSteps = 0;
double Run(Action step, double seconds) { var clock = Stopwatch.StartNew(); long k = 0; while (clock.Elapsed.TotalSeconds < seconds) for (int j = 0; j < 20; j++, k++) step(); return k * (8192.0 / fighters * fighters) / clock.Elapsed.TotalSeconds / 1e6; }
void StepOld() => oldBatch.Step(table[oldSteps++ % 64], oldBuffers);
void StepNew() => newBatch.Step(table[newSteps++ % 64], newBuffers);
Run(StepOld, 1); Run(StepNew, 1);
var ratios = new List<double>(); var olds = new List<double>(); var news = new List<double>();
for (int r = 0; r < rounds; r++)
{
    double o1 = Run(StepOld, 0.25), n = Run(StepNew, 0.25), o2 = Run(StepOld, 0.25);
    olds.Add((o1 + o2) / 2); news.Add(n); ratios.Add(n / ((o1 + o2) / 2));
}
ratios.Sort(); olds.Sort(); news.Sort();
Console.WriteLine($"{fighters} fighters, {threads} threads: {args[3]} {olds[rounds / 2]:F2} M/s, working tree {news[rounds / 2]:F2} M/s (medians); " +
                  $"ratio {ratios[rounds / 2]:F3} (p25 {ratios[rounds / 4]:F3}, p75 {ratios[3 * rounds / 4]:F3})");
EOF
dotnet build "$dir/ab.csproj" -c Release -o "$dir/out" --nologo -v quiet -clp:ErrorsOnly > "$dir/build.log" 2>&1 \
  || { cat "$dir/build.log" >&2; echo "sim-ab: the build failed" >&2; exit 1; }
for config in "$@"; do
  # shellcheck disable=SC2086
  dotnet "$dir/out/ab.dll" $config "$ref"
done
