package io.loopbridge.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * loopbridge-bom has no parent (see its pom), so nothing in Maven keeps it in step with the reactor: this test does.
 * A library module is one that ships its API (a {@code module-info.java}, or Javadoc of its own, as the starter).
 */
class BomTest {
    private static final Path ROOT = Path.of("..");

    @Test
    void theBomManagesEveryLibraryModuleAtTheReactorsVersion() throws Exception {
        Element parent = read(ROOT.resolve("pom.xml"));
        String version = child(parent, "version");
        Map<String, String> libraries = new TreeMap<>();
        NodeList modules = parent.getElementsByTagName("module");
        for (int i = 0; i < modules.getLength(); i++) {
            Path dir = ROOT.resolve(modules.item(i).getTextContent().trim());
            String pom = Files.readString(dir.resolve("pom.xml"));
            if (Files.exists(dir.resolve("src/main/java/module-info.java")) || pom.contains("maven-javadoc-plugin")) {
                libraries.put(child(read(dir.resolve("pom.xml")), "artifactId"), version);
            }
        }
        Element bom = read(ROOT.resolve("bom/pom.xml"));
        Map<String, String> managed = new TreeMap<>();
        NodeList dependencies = bom.getElementsByTagName("dependency");
        for (int i = 0; i < dependencies.getLength(); i++) {
            Element dependency = (Element) dependencies.item(i);
            managed.put(child(dependency, "artifactId"), child(dependency, "version"));
        }
        assertThat(child(bom, "version")).as("the BOM's own version").isEqualTo(version);
        assertThat(new TreeSet<>(libraries.keySet())).as("library modules").contains("loop-core", "bridge",
                "loopbridge-spring-boot-starter");
        assertThat(managed).as("what loopbridge-bom manages").isEqualTo(libraries);
    }

    private static Element read(Path pom) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile()).getDocumentElement();
    }

    /** The text of {@code element}'s own child {@code name} (not a grandchild's, such as the parent's version). */
    private static String child(Element element, String name) {
        for (var node = element.getFirstChild(); node != null; node = node.getNextSibling()) {
            if (node instanceof Element e && e.getTagName().equals(name)) {
                return e.getTextContent().trim();
            }
        }
        throw new AssertionError(element.getTagName() + " has no <" + name + ">");
    }
}
