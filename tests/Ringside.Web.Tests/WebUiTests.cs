using System.Net;

namespace Ringside.Web.Tests;

/// <summary>What MapWebUi serves: pages, vendored three.js, fighter GLBs with their content type, and nothing else.</summary>
[Collection("web")]
public sealed class WebUiTests(WebFixture web)
{
    [Theory]
    [InlineData("/arena.html", "text/html")]
    [InlineData("/css/arena.css", "text/css")]
    [InlineData("/js/arena/main.js", "text/javascript")]
    [InlineData("/vendor/three/build/three.module.js", "text/javascript")]
    [InlineData("/vendor/three/build/three.core.js", "text/javascript")]
    [InlineData("/vendor/three/examples/jsm/loaders/GLTFLoader.js", "text/javascript")]
    [InlineData("/vendor/three/examples/jsm/controls/OrbitControls.js", "text/javascript")]
    [InlineData("/vendor/three/examples/jsm/utils/SkeletonUtils.js", "text/javascript")]
    [InlineData("/fighters/iron-mountain.glb", "model/gltf-binary")]
    public async Task Files_are_served_with_their_content_type(string path, string type)
    {
        var response = await web.Http.GetAsync(path);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode}");
        Assert.Equal(type, response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("/fighters/nobody.glb")]
    [InlineData("/fighters/..%2Fringside.db")]
    [InlineData("/fighters/../ringside.db")]
    [InlineData("/vendor/three/package.json")]
    public async Task Nothing_outside_the_web_root_and_the_fighters_folder_is_served(string path)
    {
        var response = await web.Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task The_root_opens_the_main_menu_and_the_API_document_lists_the_upload()
    {
        using var noRedirect = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(web.BaseUrl) };
        var root = await noRedirect.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, root.StatusCode);
        Assert.Equal("/index.html", root.Headers.Location?.OriginalString); // the main menu; the arena is one of its entries

        var document = await web.GetJsonAsync("/openapi/v1.json");
        Assert.NotNull(document["paths"]?["/api/fighters/upload"]?["post"]);
        Assert.Null(document["paths"]?["/"]);
    }
}
