#!/usr/bin/env node
// A calf-pain triage implementation in JavaScript (Node 20, no dependencies) that speaks
// calfspec's JSON-lines protocol, version 1.1 (it also talks to a 1.0 calfspec). It shows that
// the protocol is language-agnostic:
//
//   calfspec run --impl 'cmd:node examples/js/triage.mjs'
//
// It is an independent hand port of the guideline in guideline/ (ids in the comments), written
// in JavaScript rather than read from the YAML, so that calfspec can tell whether a second
// implementation still agrees with the guideline after either changes:
//
//   * the red flags and routine-review rules of rules.yaml, in three-valued logic: a finding the
//     request does not mention is *unknown*, never absent;
//   * the deprecated ids of aliases.yaml (protocol 1.1 split four compound findings): an old id
//     reads as all of its parts with the same state, a part stated explicitly wins;
//   * the derivations of vocabulary.yaml: age 60 or over is older age (under 60 is not), a man
//     is neither pregnant nor postpartum;
//   * the combination policy of guideline.yaml: the most urgent rule that holds decides; a red
//     flag that is still open (neither true nor false) sets a floor, a doctor's red-flag screen
//     when nothing points to it, same-day care when it is an emergency-level flag or one of its
//     own findings or risk factors is present, and its unknown findings are asked
//     (decision.questions); self-care only when every red flag is excluded;
//   * an emergency decision lists only emergency pathways;
//   * advice only when a given pathway lists it and it is indicated, and never when a rule that
//     holds or might hold contraindicates it, or its own contraindication holds or might hold;
//     a red flag that holds or might hold also withholds every self-care, training, prevention
//     and treatment item it does not list in `allows_advice`; safety-net items are never withheld.
//
// Protocol: one JSON object per line on stdin/stdout; stdout carries nothing else.
//   <- {"type":"hello","protocol_version":"1.1",...}   -> {"type":"hello","protocol_version":"1.1","name":...}
//   <- {"type":"triage","id":"7","request":{...}}        -> {"type":"decision","id":"7","decision":{...}}
//   <- {"type":"bye"}                                     -> exit
// A calfspec that says 1.0 gets a 1.0 hello back, and questions about the parts of a split id are
// asked by the old compound id it knows. Diagnostics go to stderr, which calfspec keeps for
// error messages.

import { createInterface } from "node:readline";

const NAME = "calfspec-example-js";
const VERSION = "0.2.0";
const PROTOCOL = "1.1";
const PROTOCOL_MAJOR = "1";

// --- three-valued logic: true, false, or null (unknown) ----------------------------------
const T = true, F = false, U = null;

// Conditions are small trees, so that the same tree can be evaluated, searched for the unknown
// findings that could settle it, and searched for the findings that point to it.
const f = (id) => ({ finding: id });
const all = (...parts) => ({ all: parts });
const any = (...parts) => ({ any: parts });
const not = (part) => ({ not: part });
const ONE_SIDED = { side: "one_sided" };
const PREGNANT = { pregnant: true };

function evaluate(e, facts) {
  if ("finding" in e) {
    const state = facts.findings[e.finding] ?? "unknown";
    return state === "present" ? T : state === "absent" ? F : U;
  }
  if ("all" in e) {
    let result = T;
    for (const p of e.all) {
      const v = evaluate(p, facts);
      if (v === F) return F;
      if (v === U) result = U;
    }
    return result;
  }
  if ("any" in e) {
    let result = F;
    for (const p of e.any) {
      const v = evaluate(p, facts);
      if (v === T) return T;
      if (v === U) result = U;
    }
    return result;
  }
  if ("not" in e) {
    const v = evaluate(e.not, facts);
    return v === U ? U : !v;
  }
  if ("side" in e) {
    if (facts.side === "left" || facts.side === "right") return T;
    return facts.side === "both" ? F : U;
  }
  if ("pregnant" in e) {
    const v = facts.pregnant === "present" ? T : facts.pregnant === "absent" ? F : U;
    return v === U ? U : e.pregnant ? v : !v;
  }
  throw new Error(`unknown condition node ${JSON.stringify(e)}`);
}

// What to ask to settle a condition: the unknown findings (and "side" / "pregnant") inside the
// parts that are themselves undetermined, so nothing inside an already-false part is asked.
function openQuestions(e, facts, out = []) {
  if (evaluate(e, facts) !== U) return out;
  const add = (q) => { if (!out.includes(q)) out.push(q); };
  if ("finding" in e) add(e.finding);
  else if ("side" in e) add("side");
  else if ("pregnant" in e) add("pregnant");
  else if ("all" in e) for (const p of e.all) openQuestions(p, facts, out);
  else if ("any" in e) for (const p of e.any) openQuestions(p, facts, out);
  else if ("not" in e) openQuestions(e.not, facts, out);
  return out;
}

// The findings a condition tests positively (not under a "not"), and pregnant: true. One of
// these being present is what "points to" an open red flag.
function* definingAtoms(e) {
  if ("finding" in e) yield e;
  else if ("pregnant" in e) { if (e.pregnant) yield e; }
  else if ("all" in e) for (const p of e.all) yield* definingAtoms(p);
  else if ("any" in e) for (const p of e.any) yield* definingAtoms(p);
}

// --- vocabulary: risk-factor findings, deprecated ids, derivations ---------------------------
// Findings of kind risk_factor (vocabulary.yaml); every other finding a rule tests is one of the
// rule's own (defining) findings.
const RISK_FACTORS = new Set([
  "recent_surgery", "recent_illness", "long_travel", "immobility", "clot_risk_medicines", "postpartum",
  "previous_clot", "cancer", "obesity", "older_age", "diabetes", "smoking", "high_cholesterol",
  "high_blood_pressure", "dehydration", "cramp_medicines", "mineral_imbalance", "prolonged_standing",
  "overexertion", "runner_or_sport",
]);

// aliases.yaml: deprecated in 1.1, each read as ALL of its parts with the same state.
const ALIASES = {
  pop_or_snap: ["heard_or_felt_pop", "felt_struck"],
  difficulty_walking: ["walking_difficulty", "push_off_difficulty"],
  pain_unrelieved_by_rest: ["severe_pain", "pain_not_eased_by_rest"],
  recent_fracture: ["leg_fracture", "crush_injury"],
};
const OLD_ID_OF = Object.fromEntries(Object.entries(ALIASES).flatMap(([old, parts]) => parts.map((p) => [p, old])));

// A derived "present" overrides a stated absent; a derived "absent" only fills an unknown.
function settle(stated, derived) {
  if (derived === "present") return "present";
  return stated === "unknown" || stated === undefined ? derived : stated;
}

// The presentation the rules are evaluated on (policy.canonical_presentation).
function canonical(req) {
  const given = req.findings ?? {};
  const findings = {};
  for (const [id, state] of Object.entries(given)) if (!(id in ALIASES)) findings[id] = state;
  for (const [id, state] of Object.entries(given)) {
    for (const part of ALIASES[id] ?? []) if (!(part in findings)) findings[part] = state;
  }
  let pregnant = req.pregnant ?? "unknown";
  // older-age-at-60 / not-older-age-under-60
  if (typeof req.age === "number") {
    findings.older_age = settle(findings.older_age ?? "unknown", req.age >= 60 ? "present" : "absent");
  }
  // male-not-pregnant / male-not-postpartum
  if (req.sex === "male") {
    pregnant = settle(pregnant, "absent");
    findings.postpartum = settle(findings.postpartum ?? "unknown", "absent");
  }
  return { findings, pregnant, side: req.side ?? "unknown" };
}

// --- advice (advice.yaml) and pathways (pathways.yaml) --------------------------------------
const NUMB_OR_REDUCED_FEELING = any(f("leg_numb"), f("reduced_sensation"));
const ADVICE = [
  { id: "rest-ice-compression-elevation", kind: "self_care",
    indicated: any(f("obvious_muscle_injury"), f("direct_blow")), contraindicated: NUMB_OR_REDUCED_FEELING },
  { id: "calf-stretching", kind: "self_care",
    indicated: any(f("cramp_episode"), f("night_cramps"), f("obvious_muscle_injury"), f("post_workout_soreness")) },
  { id: "graded-return-to-activity", kind: "self_care",
    indicated: any(f("obvious_muscle_injury"), f("aching_builds_with_activity")) },
  { id: "strengthening-and-physiotherapy", kind: "treatment", indicated: f("aching_builds_with_activity") },
  { id: "simple-pain-relief", kind: "treatment",
    indicated: any(f("obvious_muscle_injury"), f("direct_blow")), contraindicated: any(PREGNANT, f("anticoagulant_use")) },
  // Heat is never indicated: "after the first days" cannot be told from the findings.
  { id: "heat-application", kind: "self_care", indicated: null,
    contraindicated: any(f("calf_swelling"), f("calf_warmth"), f("calf_redness"), f("leg_numb"), f("reduced_sensation"),
                         f("diabetes"), f("pain_on_walking_distance")) },
  { id: "rest-and-time", kind: "self_care", indicated: f("direct_blow") },
  { id: "stay-hydrated", kind: "prevention", indicated: any(f("cramp_episode"), f("night_cramps"), f("dehydration")) },
  { id: "warm-up-and-build-gradually", kind: "training", indicated: any(f("overexertion"), f("post_workout_soreness")) },
  { id: "rest-between-workouts", kind: "training", indicated: f("post_workout_soreness") },
  { id: "move-on-long-journeys", kind: "prevention",
    indicated: any(f("long_travel"), f("recent_surgery"), f("recent_illness"), f("immobility")) },
  { id: "manage-vascular-risk-factors", kind: "prevention",
    indicated: any(f("smoking"), f("high_cholesterol"), f("high_blood_pressure"), f("diabetes")) },
  // Safety-netting: given with the pathways that list it, never withheld.
  { id: "safety-net", kind: "safety_net", indicated: null },
  { id: "no-exercise-or-massage-until-assessed", kind: "safety_net", indicated: null },
];

const PATHWAYS = {
  "emergency-call-now": { urgency: "emergency", advice: [] },
  "emergency-sepsis": { urgency: "emergency", advice: [] },
  "emergency-limb-threat": { urgency: "emergency", advice: [] },
  "urgent-dvt-assessment": { urgency: "urgent", advice: ["no-exercise-or-massage-until-assessed"] },
  "urgent-tear-assessment": { urgency: "urgent", advice: ["no-exercise-or-massage-until-assessed"] },
  "urgent-same-day-assessment": { urgency: "urgent", advice: [] },
  "urgent-infection-assessment": { urgency: "urgent", advice: [] },
  "vascular-assessment": { urgency: "routine", advice: ["manage-vascular-risk-factors", "safety-net"] },
  "gp-review": { urgency: "routine", advice: ["safety-net", "stay-hydrated"] },
  "red-flag-screen": { urgency: "routine", advice: ["safety-net"] },
  "self-care-muscle": { urgency: "self_care", advice: [
    "rest-ice-compression-elevation", "calf-stretching", "graded-return-to-activity", "strengthening-and-physiotherapy",
    "simple-pain-relief", "heat-application", "rest-and-time", "stay-hydrated", "warm-up-and-build-gradually",
    "rest-between-workouts", "move-on-long-journeys", "manage-vascular-risk-factors", "safety-net"] },
};

// --- the combination policy (guideline.yaml `policy`) -----------------------------------------
const POLICY = {
  unresolvedUrgency: "routine",
  unresolvedPathway: "red-flag-screen",
  selfCarePathway: "self-care-muscle",
  // open_red_flag_tiers: a tier applies to an open flag of at least `flagUrgency` when one of its
  // evidence kinds is present (none listed: being open is enough); never above the flag's urgency.
  openFlagTiers: [
    { id: "open-emergency-flag", flagUrgency: "emergency", evidence: [], urgency: "urgent",
      pathway: "urgent-same-day-assessment" },
    { id: "open-flag-with-evidence", flagUrgency: null, evidence: ["defining_finding", "risk_factor"],
      urgency: "urgent", pathway: "urgent-same-day-assessment" },
  ],
  redFlagsWithhold: new Set(["self_care", "training", "prevention", "treatment"]),
};

// --- the rules (rules.yaml) ---------------------------------------------------------------
// What a red flag lists in `contraindicates` (the kind policy above withholds the same items
// and more; the lists are kept so that `allowsAdvice` cannot let one of them through).
const RED_FLAG_CONTRA = [
  "calf-stretching", "graded-return-to-activity", "rest-ice-compression-elevation", "simple-pain-relief",
  "heat-application", "strengthening-and-physiotherapy", "rest-and-time", "move-on-long-journeys",
  "warm-up-and-build-gradually", "rest-between-workouts",
];
const TEAR_CONTRA = RED_FLAG_CONTRA.filter((a) => a !== "rest-ice-compression-elevation");
const INFECTION_LOCAL = any(f("calf_redness"), f("calf_warmth"), f("calf_swelling"));
const SEVERE_UNRELIEVED = all(f("severe_pain"), f("pain_not_eased_by_rest"));
const FRACTURE_OR_CRUSH = any(f("leg_fracture"), f("crush_injury"));
const POP_OR_STRUCK = any(f("heard_or_felt_pop"), f("felt_struck"));
const WALK_OR_PUSH_OFF = any(f("walking_difficulty"), f("push_off_difficulty"));

const red = (id, urgency, pathway, when, conditions, contraindicates = RED_FLAG_CONTRA, allowsAdvice = []) =>
  ({ id, kind: "red_flag", urgency, pathway, when, conditions, contraindicates, allowsAdvice });
const routine = (id, pathway, when, conditions = [], contraindicates = []) =>
  ({ id, kind: "routine_review", urgency: "routine", pathway, when, conditions, contraindicates, allowsAdvice: [] });

const RULES = [
  // pe-breathlessness-chest-pain-haemoptysis (new or worsening breathlessness counts too)
  red("pe-breathlessness-chest-pain-haemoptysis", "emergency", "emergency-call-now",
      any(f("sudden_breathlessness"), f("breathlessness_new_or_worsening"), f("chest_pain"), f("coughing_blood")),
      ["pulmonary-embolism", "deep-vein-thrombosis"]),
  // dvt-swollen-warm-red-calf
  red("dvt-swollen-warm-red-calf", "urgent", "urgent-dvt-assessment",
      any(f("calf_swelling"), f("calf_warmth"), f("calf_redness")), ["deep-vein-thrombosis"]),
  // dvt-tender-one-sided-with-clot-risk: a strong risk factor on either side; on one side, another
  // risk factor or nothing (strain, knock, hard workout) that explains the tenderness
  red("dvt-tender-one-sided-with-clot-risk", "urgent", "urgent-dvt-assessment",
      all(f("calf_tenderness"),
          any(f("recent_surgery"), f("immobility"), f("cancer"), f("postpartum"), f("previous_clot"), PREGNANT,
              all(ONE_SIDED,
                  any(f("recent_illness"), f("long_travel"), f("clot_risk_medicines"), f("obesity"), f("older_age"),
                      not(any(f("obvious_muscle_injury"), f("direct_blow"), f("post_workout_soreness"))))))),
      ["deep-vein-thrombosis"]),
  // tear-sudden-pop-difficulty-walking: sudden severe pain with a pop/struck feeling or difficulty
  // walking or pushing off, or a pop/struck feeling with difficulty walking or pushing off
  red("tear-sudden-pop-difficulty-walking", "urgent", "urgent-tear-assessment",
      any(all(f("sudden_severe_pain"), any(f("heard_or_felt_pop"), f("felt_struck"), f("walking_difficulty"),
                                           f("push_off_difficulty"))),
          all(POP_OR_STRUCK, WALK_OR_PUSH_OFF)),
      ["calf-muscle-tear", "achilles-rupture", "plantaris-rupture"], TEAR_CONTRA),
  // achilles-sudden-heel-pain
  red("achilles-sudden-heel-pain", "urgent", "urgent-tear-assessment",
      all(f("pain_low_calf_near_heel"), any(f("sudden_severe_pain"), f("heard_or_felt_pop"), f("felt_struck"))),
      ["achilles-rupture"], TEAR_CONTRA),
  // cold-or-pale-leg (leg_cold is a NEW cold leg or foot)
  red("cold-or-pale-leg", "emergency", "emergency-limb-threat", any(f("leg_cold"), f("leg_pale")),
      ["acute-limb-ischaemia"]),
  // numb-lower-leg: numbness, or reduced feeling not known to have come on gradually
  red("numb-lower-leg", "urgent", "urgent-same-day-assessment",
      any(f("leg_numb"), all(f("reduced_sensation"), not(f("sensation_loss_gradual")))),
      ["acute-limb-ischaemia", "compartment-syndrome", "nerve-entrapment"]),
  // infection-fever-hot-red-swollen
  red("infection-fever-hot-red-swollen", "urgent", "urgent-infection-assessment",
      all(f("fever"), INFECTION_LOCAL), ["leg-infection"]),
  // compartment-syndrome-pain-after-injury
  red("compartment-syndrome-pain-after-injury", "emergency", "emergency-limb-threat",
      any(all(any(SEVERE_UNRELIEVED, f("leg_numb")), any(f("leg_fracture"), f("crush_injury"), f("tense_muscle_bulge"))),
          all(FRACTURE_OR_CRUSH, f("tense_muscle_bulge"))),
      ["compartment-syndrome"]),
  // severe-pain-not-eased-by-rest
  red("severe-pain-not-eased-by-rest", "urgent", "urgent-same-day-assessment", SEVERE_UNRELIEVED,
      ["compartment-syndrome"]),
  // severe-pain-with-numbness
  red("severe-pain-with-numbness", "emergency", "emergency-limb-threat",
      all(f("severe_pain"), f("pain_not_eased_by_rest"), f("leg_numb")),
      ["acute-limb-ischaemia", "compartment-syndrome"]),
  // tense-calf-bulge
  red("tense-calf-bulge", "urgent", "urgent-same-day-assessment", f("tense_muscle_bulge"), ["compartment-syndrome"]),
  // infection-with-sepsis-signs
  red("infection-with-sepsis-signs", "emergency", "emergency-sepsis",
      all(f("fever"), INFECTION_LOCAL,
          any(f("new_confusion"), f("fast_breathing"), f("fast_heartbeat"), f("mottled_or_clammy_skin"),
              f("feeling_very_unwell"), f("rapidly_spreading_redness"))),
      ["leg-infection"]),
  // claudication-rest-pain
  red("claudication-rest-pain", "urgent", "urgent-same-day-assessment",
      all(f("pain_on_walking_distance"), f("rest_pain")), ["peripheral-arterial-disease", "acute-limb-ischaemia"]),
  // sudden-weakness-or-foot-drop
  red("sudden-weakness-or-foot-drop", "urgent", "urgent-same-day-assessment", f("sudden_weakness_or_foot_drop"),
      ["compartment-syndrome", "nerve-entrapment"]),

  // --- routine review ---
  // claudication-pattern (no ice, compression or heat on narrowed arteries)
  routine("claudication-pattern", "vascular-assessment", all(f("pain_on_walking_distance"), f("eases_with_rest")),
          ["peripheral-arterial-disease"], ["rest-ice-compression-elevation", "heat-application"]),
  // persistent-recurring-or-worsening-pain
  routine("persistent-recurring-or-worsening-pain", "gp-review",
          any(f("pain_persistent"), f("pain_recurring"), f("pain_worsening"))),
  // frequent-troublesome-cramps
  routine("frequent-troublesome-cramps", "gp-review", f("frequent_cramps"), ["muscle-cramp"]),
  // diabetic-neuropathy-symptoms (no heat on skin that cannot feel properly)
  routine("diabetic-neuropathy-symptoms", "gp-review",
          all(f("diabetes"), any(f("tingling"), f("reduced_sensation"), f("burning_pain"), f("loss_of_balance"))),
          ["diabetic-peripheral-neuropathy"], ["heat-application"]),
  // leg-weakness-review
  routine("leg-weakness-review", "gp-review", any(f("muscle_weakness"), f("difficulty_moving_leg")),
          ["diabetic-peripheral-neuropathy", "nerve-entrapment", "compartment-syndrome"]),
  // fever-with-calf-pain-review
  routine("fever-with-calf-pain-review", "gp-review", f("fever"), ["leg-infection"]),
  // knee-blow-pain-behind-knee
  routine("knee-blow-pain-behind-knee", "gp-review", all(f("direct_blow"), f("pain_back_of_knee")),
          ["popliteus-tendonitis"]),
  // long-standing-cold-feet
  routine("long-standing-cold-feet", "vascular-assessment", f("cold_feet_long_standing"),
          ["peripheral-arterial-disease"]),
  // ankle-swelling-both-legs
  routine("ankle-swelling-both-legs", "gp-review", f("ankle_swelling_both_legs")),
];

// Conditions a finding suggests without any rule holding (conditions.yaml `suggested_by`).
const SUGGESTED_CONDITIONS = [
  { id: "muscle-cramp", when: any(f("cramp_episode"), f("night_cramps")) },
  { id: "muscle-strain", when: f("obvious_muscle_injury") },
  { id: "contusion", when: f("direct_blow") },
  { id: "achilles-tendinopathy", when: f("aching_builds_with_activity") },
  { id: "popliteus-tendonitis", when: f("pain_back_of_knee") },
  { id: "referred-pain", when: f("back_pain_radiating") },
  { id: "post-exercise-soreness", when: f("post_workout_soreness") },
];

const RANK = { self_care: 0, routine: 1, urgent: 2, emergency: 3 };
const higher = (a, b) => (RANK[a] >= RANK[b] ? a : b);
const lower = (a, b) => (RANK[a] <= RANK[b] ? a : b);

// The advice a rule withholds while it holds or might hold (policy.rule_contraindications).
function ruleWithholds(rule) {
  const out = new Set(rule.contraindicates);
  if (rule.kind === "red_flag") {
    const allowed = new Set(rule.allowsAdvice);
    for (const item of ADVICE) {
      if (POLICY.redFlagsWithhold.has(item.kind) && !allowed.has(item.id)) out.add(item.id);
    }
  }
  return out;
}

// Which kinds of evidence point to an open red flag: its own findings or listed risk factors present.
function evidenceFor(rule, facts) {
  const kinds = new Set();
  for (const atom of definingAtoms(rule.when)) {
    if (evaluate(atom, facts) !== T) continue;
    kinds.add("pregnant" in atom || RISK_FACTORS.has(atom.finding) ? "risk_factor" : "defining_finding");
  }
  return kinds;
}

export function triage(req, { protocol = PROTOCOL } = {}) {
  const facts = canonical(req);
  const outcomes = RULES.map((rule) => ({ rule, truth: evaluate(rule.when, facts) }));
  // Most urgent first; rules of one urgency keep the guideline's order.
  const fired = outcomes.filter((o) => o.truth === T).map((o) => o.rule)
    .sort((a, b) => RANK[b.urgency] - RANK[a.urgency]);
  let urgency = "self_care";
  let pathways = [];
  const reasons = [];
  const conditions = [];
  for (const rule of fired) {
    urgency = higher(urgency, rule.urgency);
    if (!pathways.includes(rule.pathway)) pathways.push(rule.pathway);
    for (const c of rule.conditions) if (!conditions.includes(c)) conditions.push(c);
    reasons.push(`${rule.id} (${rule.urgency})`);
  }

  // Red flags that are open and could still raise the urgency: floor, and questions.
  const base = urgency;
  const open = outcomes
    .filter((o) => o.truth === U && o.rule.kind === "red_flag" && RANK[o.rule.urgency] > RANK[base])
    .map((o) => o.rule);
  const questions = [];
  if (open.length > 0) {
    let floor = POLICY.unresolvedUrgency;
    let pathway = POLICY.unresolvedPathway;
    for (const rule of open) {
      const evidence = evidenceFor(rule, facts);
      for (const tier of POLICY.openFlagTiers) {
        if (tier.flagUrgency !== null && RANK[rule.urgency] < RANK[tier.flagUrgency]) continue;
        if (tier.evidence.length > 0 && !tier.evidence.some((k) => evidence.has(k))) continue;
        const level = lower(tier.urgency, rule.urgency);
        if (RANK[level] > RANK[floor]) {
          floor = level;
          pathway = tier.pathway;
          reasons.push(`${rule.id} is open (${tier.id})`);
        }
      }
      for (const q of openQuestions(rule.when, facts)) if (!questions.includes(q)) questions.push(q);
    }
    const redFlagFired = fired.some((r) => r.kind === "red_flag");
    if (RANK[floor] > RANK[urgency] || !redFlagFired) {
      urgency = higher(urgency, floor);
      if (!pathways.includes(pathway)) pathways.push(pathway);
    }
    reasons.push(`red flags not excluded: ${open.map((r) => r.id).join(", ")}`);
  }
  if (urgency === "self_care") {
    pathways.push(POLICY.selfCarePathway);
    reasons.push("every red flag excluded");
  }
  if (urgency === "emergency") pathways = pathways.filter((p) => PATHWAYS[p]?.urgency === "emergency");

  // Advice: listed by a given pathway, indicated, and withheld by nothing that holds or might hold.
  const withheld = new Set();
  for (const { rule, truth } of outcomes) {
    if (truth !== F) for (const a of ruleWithholds(rule)) withheld.add(a);
  }
  for (const item of ADVICE) {
    if (item.contraindicated && evaluate(item.contraindicated, facts) !== F) withheld.add(item.id);
  }
  const listed = new Set(pathways.flatMap((p) => PATHWAYS[p]?.advice ?? []));
  const advice = [];
  for (const item of ADVICE) {
    if (withheld.has(item.id)) continue;
    const indicated = item.indicated ? evaluate(item.indicated, facts) === T : false;
    if (item.kind === "safety_net" ? indicated || (listed.has(item.id) && !item.indicated)
                                   : listed.has(item.id) && indicated) {
      advice.push(item.id);
    }
  }

  for (const c of SUGGESTED_CONDITIONS) {
    if (!conditions.includes(c.id) && evaluate(c.when, facts) === T) conditions.push(c.id);
  }

  // A 1.0 calfspec knows the split parts only by their old compound id.
  const asked = protocol === "1.0"
    ? [...new Set(questions.map((q) => OLD_ID_OF[q] ?? q))]
    : questions;
  return { urgency, pathways, advice, conditions, questions: asked, rationale: reasons.join("; ") };
}

// --- the protocol loop ------------------------------------------------------------------
function send(message) {
  process.stdout.write(JSON.stringify(message) + "\n");
}

// The version to speak: 1.1, or 1.0 when calfspec offers exactly 1.0.
function negotiate(theirs) {
  const [major, minor] = String(theirs ?? "").split(".");
  if (major !== PROTOCOL_MAJOR) {
    console.error(`calfspec speaks protocol ${theirs}; I speak ${PROTOCOL} and 1.0`);
    return PROTOCOL;
  }
  return minor === "0" ? "1.0" : PROTOCOL;
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
let protocol = null;
for await (const line of lines) {
  if (!line.trim()) continue;
  let message;
  try {
    message = JSON.parse(line);
  } catch (err) {
    console.error(`ignoring a line that is not JSON: ${err.message}`);
    continue;
  }
  if (message.type === "hello") {
    protocol = negotiate(message.protocol_version);
    send({ type: "hello", protocol_version: protocol, name: NAME, version: VERSION });
  } else if (message.type === "triage" && protocol !== null) {
    try {
      send({ type: "decision", id: message.id, decision: triage(message.request ?? {}, { protocol }) });
    } catch (err) {
      send({ type: "error", id: message.id, message: String(err?.stack ?? err) });
    }
  } else if (message.type === "bye") {
    break;
  } else {
    console.error(`unexpected message type ${JSON.stringify(message.type)}`);
  }
}
process.exit(0);
