# loopbridge demo-server: build with Maven on a JDK 25 image, run on a JRE 25 image.
FROM maven:3.9-eclipse-temurin-25 AS build
WORKDIR /src
COPY pom.xml .
COPY loop-core/pom.xml loop-core/
COPY bridge/pom.xml bridge/
COPY metrics/pom.xml metrics/
COPY netty/pom.xml netty/
COPY spring-boot-starter/pom.xml spring-boot-starter/
COPY bom/pom.xml bom/
COPY demo-server/pom.xml demo-server/
COPY benchmarks/pom.xml benchmarks/
COPY stress/pom.xml stress/
COPY examples/spring-boot/pom.xml examples/spring-boot/
# 3.8.1: its go-offline skips the reactor's own modules (older ones fail on io.loopbridge:loop-core).
RUN mvn -B -q -pl demo-server -am org.apache.maven.plugins:maven-dependency-plugin:3.8.1:go-offline
COPY . .
RUN mvn -B -q -DskipTests -pl demo-server -am package

FROM eclipse-temurin:25-jre
RUN useradd --system --uid 10001 loopbridge
COPY --from=build /src/demo-server/target/demo-server.jar /app/demo-server.jar
USER loopbridge
EXPOSE 8080
# Listen on all interfaces inside the container; the fast coroutine engine needs the add-opens flag. The heap
# is sized from the container's memory limit (75 %; measured figures in README.md, "The demo").
ENV LOOPBRIDGE_HOST=0.0.0.0 LOOPBRIDGE_PORT=8080
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-jar", "/app/demo-server.jar"]
