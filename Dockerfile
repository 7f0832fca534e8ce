# The Ringside CLI and server as an image (docs/SERVER.md, Cluster). Untested: the machine this was written on has no
# Docker daemon. Build: docker build -t ringside . ; run: docker run -p 8001:8001 ringside (role all, SQLite in /data).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The web UI's npm modules (three.js, Chart.js) are vendored into the server's wwwroot before the build copies it.
RUN scripts/web.sh && dotnet publish src/Ringside.Cli/Ringside.Cli.csproj -c Release -o /app --nologo

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
VOLUME /data
EXPOSE 8001
# Beyond loopback, writes need an API key: set Ringside__Security__ApiKey.
ENTRYPOINT ["dotnet", "/app/ringside.dll", "serve", "--urls", "http://0.0.0.0:8001", "--data", "/data"]
