using System.Numerics;
using System.Text.Json;

namespace Ringside.Assets.Tests;

/// <summary>Every roster GLB, read back with the test-side reader: the binary layout and glTF rules a viewer relies on.</summary>
public class FighterGlbStructureTests
{
    public static TheoryData<string> RosterNames => new(DefaultRoster.Entries.Select(e => e.Name));

    private static readonly Dictionary<string, Gltf> Cache = new();

    private static Gltf Load(string name)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(name, out Gltf? gltf))
                Cache[name] = gltf = Gltf.Parse(DefaultRoster.Build(DefaultRoster.Find(name)!));
            return gltf;
        }
    }

    [Theory]
    [MemberData(nameof(RosterNames))]
    public void Every_accessor_fits_its_aligned_buffer_view_and_every_view_fits_the_buffer(string name)
    {
        Gltf gltf = Load(name);
        Assert.Equal(gltf.Bin.Length, gltf.Array("buffers")[0].GetProperty("byteLength").GetInt32());
        foreach (JsonElement view in gltf.Array("bufferViews").EnumerateArray())
        {
            int offset = Gltf.Int(view, "byteOffset");
            Assert.Equal(0, offset % 4);
            Assert.True(offset + view.GetProperty("byteLength").GetInt32() <= gltf.Bin.Length);
        }
        foreach (JsonElement accessor in gltf.Array("accessors").EnumerateArray())
        {
            JsonElement view = gltf.Array("bufferViews")[accessor.GetProperty("bufferView").GetInt32()];
            int componentSize = Gltf.ComponentSize(accessor.GetProperty("componentType").GetInt32());
            int elementSize = componentSize * Gltf.Components(accessor.GetProperty("type").GetString()!);
            int stride = Gltf.Int(view, "byteStride", elementSize);
            int offset = Gltf.Int(accessor, "byteOffset");
            int count = accessor.GetProperty("count").GetInt32();
            Assert.Equal(0, (Gltf.Int(view, "byteOffset") + offset) % componentSize);
            Assert.True(offset + stride * (count - 1) + elementSize <= view.GetProperty("byteLength").GetInt32(),
                $"accessor of {count} × {elementSize} bytes overflows its bufferView");
        }
    }

    [Theory]
    [MemberData(nameof(RosterNames))]
    public void Vertex_views_have_stride_and_target_and_other_views_have_neither_stride_nor_vertex_target(string name)
    {
        Gltf gltf = Load(name);
        var vertexAccessors = new HashSet<int>();
        var indexAccessors = new HashSet<int>();
        foreach (JsonElement primitive in gltf.Array("meshes")[0].GetProperty("primitives").EnumerateArray())
        {
            foreach (JsonProperty attribute in primitive.GetProperty("attributes").EnumerateObject())
                vertexAccessors.Add(attribute.Value.GetInt32());
            indexAccessors.Add(primitive.GetProperty("indices").GetInt32());
        }
        for (int a = 0; a < gltf.Array("accessors").GetArrayLength(); a++)
        {
            JsonElement view = gltf.Array("bufferViews")[gltf.Accessor(a).GetProperty("bufferView").GetInt32()];
            int target = Gltf.Int(view, "target");
            if (vertexAccessors.Contains(a))
            {
                Assert.Equal(34962, target);
                Assert.True(view.TryGetProperty("byteStride", out _));
            }
            else
            {
                Assert.Equal(indexAccessors.Contains(a) ? 34963 : 0, target);
                Assert.False(view.TryGetProperty("byteStride", out _));
            }
        }
    }

    [Theory]
    [MemberData(nameof(RosterNames))]
    public void Position_min_and_max_match_the_data_and_normals_are_unit(string name)
    {
        Gltf gltf = Load(name);
        foreach (JsonElement primitive in gltf.Array("meshes")[0].GetProperty("primitives").EnumerateArray())
        {
            JsonElement attributes = primitive.GetProperty("attributes");
            int position = attributes.GetProperty("POSITION").GetInt32();
            var (min, max) = Gltf.Bounds(gltf.ReadVec3(position));
            JsonElement accessor = gltf.Accessor(position);
            Assert.Equal(new[] { min.X, min.Y, min.Z }, accessor.GetProperty("min").EnumerateArray().Select(v => v.GetSingle()));
            Assert.Equal(new[] { max.X, max.Y, max.Z }, accessor.GetProperty("max").EnumerateArray().Select(v => v.GetSingle()));
            Assert.All(gltf.ReadVec3(attributes.GetProperty("NORMAL").GetInt32()), n => Assert.InRange(n.Length(), 0.9999f, 1.0001f));

            int vertexCount = accessor.GetProperty("count").GetInt32();
            double[] indices = gltf.Read(primitive.GetProperty("indices").GetInt32());
            Assert.Equal(0, indices.Length % 3);
            Assert.All(indices, i => Assert.InRange(i, 0, vertexCount - 1));
        }
    }

    [Theory]
    [MemberData(nameof(RosterNames))]
    public void Skin_weights_are_normalised_joints_exist_and_inverse_binds_undo_the_bind_pose(string name)
    {
        Gltf gltf = Load(name);
        JsonElement skin = Assert.Single(gltf.Array("skins").EnumerateArray());
        int[] joints = skin.GetProperty("joints").EnumerateArray().Select(j => j.GetInt32()).ToArray();
        Assert.True(joints.Length >= 14);
        foreach (JsonElement primitive in gltf.Array("meshes")[0].GetProperty("primitives").EnumerateArray())
        {
            JsonElement attributes = primitive.GetProperty("attributes");
            double[] jointIndices = gltf.Read(attributes.GetProperty("JOINTS_0").GetInt32());
            double[] weights = gltf.Read(attributes.GetProperty("WEIGHTS_0").GetInt32());
            Assert.Equal(jointIndices.Length, weights.Length);
            Assert.All(jointIndices, j => Assert.InRange(j, 0, joints.Length - 1));
            foreach (double[] vertex in weights.Chunk(4))
            {
                Assert.All(vertex, w => Assert.True(w >= 0));
                Assert.InRange(vertex.Sum(), 1 - 1e-6, 1 + 1e-6);
            }
        }

        Matrix4x4[] inverseBind = gltf.ReadMatrices(skin.GetProperty("inverseBindMatrices").GetInt32());
        Assert.Equal(joints.Length, inverseBind.Length);
        Matrix4x4[] world = gltf.WorldMatrices(null, 0);
        for (int j = 0; j < joints.Length; j++)
        {
            Matrix4x4 product = inverseBind[j] * world[joints[j]];
            Assert.True(IsNear(product, Matrix4x4.Identity), $"joint {j}: inverse bind × bind world is not the identity");
        }
    }

    [Theory]
    [MemberData(nameof(RosterNames))]
    public void Nodes_form_a_tree_rooted_in_the_scene_and_the_skinned_mesh_node_is_a_root(string name)
    {
        Gltf gltf = Load(name);
        int[] parents = gltf.Parents(); // asserts at most one parent each
        int count = parents.Length;
        int[] sceneRoots = gltf.Array("scenes")[gltf.Root.GetProperty("scene").GetInt32()].GetProperty("nodes").EnumerateArray().Select(n => n.GetInt32()).ToArray();
        Assert.All(sceneRoots, r => Assert.Equal(-1, parents[r]));
        for (int i = 0; i < count; i++)
        {
            int n = i, steps = 0;
            while (parents[n] >= 0 && steps++ <= count)
                n = parents[n];
            Assert.True(steps <= count, $"node {i} is in a cycle");
            Assert.Contains(n, sceneRoots);
        }
        JsonElement nodes = gltf.Array("nodes");
        int meshNode = Enumerable.Range(0, count).Single(i => nodes[i].TryGetProperty("mesh", out _));
        Assert.Equal(-1, parents[meshNode]);
        Assert.True(nodes[meshNode].TryGetProperty("skin", out _));
        Assert.Equal(FighterModelBuilder.JointNames, Enumerable.Range(0, count).Where(i => i != meshNode).Select(i => nodes[i].GetProperty("name").GetString()));
    }

    [Theory]
    [MemberData(nameof(RosterNames))]
    public void Materials_are_flat_colours_of_the_roster_entry(string name)
    {
        Gltf gltf = Load(name);
        RosterEntry entry = DefaultRoster.Find(name)!;
        var colours = gltf.Array("materials").EnumerateArray()
            .Select(m => m.GetProperty("pbrMetallicRoughness").GetProperty("baseColorFactor").EnumerateArray().Select(c => c.GetSingle()).ToArray())
            .ToList();
        Assert.True(colours.Count >= 3);
        foreach (Colour expected in new[] { entry.Skin, entry.Outfit, entry.Accent })
            Assert.Contains(colours, c => c.Take(3).SequenceEqual(expected.ToLinear()) && c[3] == 1f);
    }

    [Theory]
    [MemberData(nameof(RosterNames))]
    public void All_six_clips_have_ascending_times_matching_outputs_and_unit_rotations(string name)
    {
        Gltf gltf = Load(name);
        var expectedDurations = new Dictionary<string, double>
        {
            ["idle"] = 2.0,
            ["walk"] = 0.8,
            ["attack"] = 0.35,
            ["hit"] = 0.3,
            ["knockout"] = 1.2,
            ["victory"] = 1.5,
        };
        Assert.Equal(expectedDurations.Keys.Order(), gltf.Array("animations").EnumerateArray().Select(a => a.GetProperty("name").GetString()!).Order());
        foreach (JsonElement animation in gltf.Array("animations").EnumerateArray())
        {
            string clip = animation.GetProperty("name").GetString()!;
            JsonElement samplers = animation.GetProperty("samplers");
            var targets = new HashSet<(int, string)>();
            foreach (JsonElement channel in animation.GetProperty("channels").EnumerateArray())
            {
                JsonElement target = channel.GetProperty("target");
                string path = target.GetProperty("path").GetString()!;
                Assert.True(targets.Add((target.GetProperty("node").GetInt32(), path)), "two channels drive the same property");
                JsonElement sampler = samplers[channel.GetProperty("sampler").GetInt32()];
                Assert.Equal("LINEAR", sampler.GetProperty("interpolation").GetString());

                int input = sampler.GetProperty("input").GetInt32();
                double[] times = gltf.Read(input);
                Assert.Equal(0, times[0]);
                Assert.All(times.Zip(times.Skip(1)), pair => Assert.True(pair.Second > pair.First, $"{clip}: times not ascending"));
                Assert.Equal(expectedDurations[clip], times[^1], 3);
                Assert.Equal((float)times.Min(), gltf.Accessor(input).GetProperty("min")[0].GetSingle());
                Assert.Equal((float)times.Max(), gltf.Accessor(input).GetProperty("max")[0].GetSingle());

                int output = sampler.GetProperty("output").GetInt32();
                Assert.Equal(times.Length, gltf.Accessor(output).GetProperty("count").GetInt32());
                Assert.Equal(path == "rotation" ? "VEC4" : "VEC3", gltf.Accessor(output).GetProperty("type").GetString());
                if (path == "rotation")
                    Assert.All(gltf.ReadQuaternions(output), q => Assert.InRange(q.Length(), 0.9999f, 1.0001f));
            }
            // Every joint rotation and the root translation are keyed, so no clip inherits a pose from another.
            Assert.Equal(FighterModelBuilder.JointNames.Count + 1, targets.Count);
            Assert.Contains((0, "translation"), targets);
        }
    }

    [Theory]
    [MemberData(nameof(RosterNames))]
    public void Looping_clips_end_where_they_start(string name)
    {
        Gltf gltf = Load(name);
        foreach (string clip in new[] { "idle", "walk" })
        {
            JsonElement animation = gltf.Animation(clip);
            foreach (JsonElement sampler in animation.GetProperty("samplers").EnumerateArray())
            {
                int components = Gltf.Components(gltf.Accessor(sampler.GetProperty("output").GetInt32()).GetProperty("type").GetString()!);
                double[] values = gltf.Read(sampler.GetProperty("output").GetInt32());
                Assert.Equal(values.Take(components), values.TakeLast(components));
            }
        }
    }

    private static bool IsNear(Matrix4x4 a, Matrix4x4 b)
    {
        for (int r = 0; r < 4; r++)
            for (int c = 0; c < 4; c++)
                if (Math.Abs(a[r, c] - b[r, c]) > 1e-4f)
                    return false;
        return true;
    }
}
