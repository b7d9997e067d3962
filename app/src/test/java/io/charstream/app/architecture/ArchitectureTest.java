package io.charstream.app.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layering of DESIGN.md and STYLE.md, held by the build: app -> workers -> model, schemas,
 * observability; observability imports no other charstream part; model never imports Kafka, schemas
 * never imports the engine, the workers build no networks, and no two packages depend on each other
 * in a cycle (a package and its subpackages count as separate packages, so {@code model} and {@code
 * model.training} may not import each other both ways). Checked on the compiled main classes of
 * every module (app's test classpath holds them all: class folders under `mvn test`, the modules'
 * jars under `mvn verify`, so jars are not excluded).
 */
class ArchitectureTest {

  private static JavaClasses classes;

  @BeforeAll
  static void importMainClasses() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.charstream");
  }

  @Test
  void everyModuleIsImported() {
    for (String pkg :
        new String[] {
          "io.charstream.schemas",
          "io.charstream.model",
          "io.charstream.observability",
          "io.charstream.trainer",
          "io.charstream.generator",
          "io.charstream.app"
        }) {
      org.assertj.core.api.Assertions.assertThat(classes.containPackage(pkg))
          .as("main classes of %s on the test classpath", pkg)
          .isTrue();
    }
  }

  @Test
  void modelHasNoKafkaAndNoTransport() {
    noClasses()
        .that()
        .resideInAPackage("io.charstream.model..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "org.apache.kafka..",
            "io.charstream.schemas..",
            "io.charstream.trainer..",
            "io.charstream.generator..",
            "io.charstream.app..")
        .because("model/ is the engine: no Kafka, no contract, no workers (DESIGN.md, Parts)")
        .check(classes);
  }

  @Test
  void schemasAreIndependentOfTheEngine() {
    noClasses()
        .that()
        .resideInAPackage("io.charstream.schemas..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "org.deeplearning4j..",
            "org.nd4j..",
            "org.bytedeco..",
            "io.charstream.model..",
            "io.charstream.trainer..",
            "io.charstream.generator..",
            "io.charstream.app..")
        .because("schemas/ is the Kafka contract any client can use without the engine")
        .check(classes);
  }

  @Test
  void observabilityKnowsNoCharstreamPart() {
    noClasses()
        .that()
        .resideInAPackage("io.charstream.observability..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.charstream.schemas..",
            "io.charstream.model..",
            "io.charstream.trainer..",
            "io.charstream.generator..",
            "io.charstream.app..",
            "org.deeplearning4j..",
            "org.nd4j..",
            "org.bytedeco..")
        .because("observability/ is what both workers share: endpoints and common meters only")
        .check(classes);
  }

  @Test
  void workersBuildNoNetworksAndDoNotKnowEachOther() {
    noClasses()
        .that()
        .resideInAnyPackage("io.charstream.trainer..", "io.charstream.generator..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.deeplearning4j..", "org.nd4j..", "io.charstream.app..")
        .because("the workers drive the engine through model/'s API and never the CLI")
        .check(classes);
    noClasses()
        .that()
        .resideInAPackage("io.charstream.trainer..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.charstream.generator..")
        .check(classes);
    noClasses()
        .that()
        .resideInAPackage("io.charstream.generator..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.charstream.trainer..")
        .check(classes);
  }

  @Test
  void engineLayersPointOneWay() {
    noClasses()
        .that()
        .resideInAPackage("io.charstream.model.kernel..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.charstream.model.layers..",
            "io.charstream.model.generation..",
            "io.charstream.model.training..")
        .because("kernels are the bottom of the engine")
        .check(classes);
    noClasses()
        .that()
        .resideInAnyPackage("io.charstream.model.layers..", "io.charstream.model.generation..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.charstream.model.training..")
        .because("training uses layers and generation (samples per epoch), never the reverse")
        .check(classes);
  }

  @Test
  void noPackageCycles() {
    slices().matching("io.charstream.(**)").should().beFreeOfCycles().check(classes);
  }
}
