#!/usr/bin/env node
// A calf-pain triage implementation in JavaScript (Node 20, no dependencies) that speaks
// calfspec's JSON-lines protocol, version 1. It shows that the protocol is language-agnostic:
//
//   calfspec run --impl 'cmd:node examples/js/triage.mjs'
//
// The rule set is a hand port of the red flags and routine-review rules in guideline/rules.yaml
// (rule ids in the comments). It uses three-valued logic like the guideline: a finding that is
// not reported is *unknown*, never absent, and self-care is given only when every red flag is
// ruled out. When a red flag can be neither confirmed nor ruled out, it asks about the unknown
// findings (decision.questions) and, until answered, sends the person to a doctor.
//
// Protocol: one JSON object per line on stdin/stdout; stdout carries nothing else.
//   <- {"type":"hello","protocol_version":"1.0",...}   -> {"type":"hello","protocol_version":"1.0","name":...}
//   <- {"type":"triage","id":"7","request":{...}}        -> {"type":"decision","id":"7","decision":{...}}
//   <- {"type":"bye"}                                     -> exit
// Diagnostics go to stderr, which calfspec keeps for error messages.

import { createInterface } from "node:readline";

const NAME = "calfspec-example-js";
const VERSION = "0.1.0";
const PROTOCOL_MAJOR = "1";

// --- three-valued logic: true, false, or null (unknown) ----------------------------------
const T = true, F = false, U = null;

const finding = (id) => (req) => {
  const state = (req.findings ?? {})[id] ?? "unknown";
  return state === "present" ? T : state === "absent" ? F : U;
};
const oneSided = (req) =>
  req.side === "left" || req.side === "right" ? T : req.side === "both" ? F : U;
const pregnant = (req) =>
  req.pregnant === "present" ? T : req.pregnant === "absent" ? F : U;
const any = (...parts) => (req) => {
  let unknown = false;
  for (const p of parts) {
    const v = p(req);
    if (v === T) return T;
    if (v === U) unknown = true;
  }
  return unknown ? U : F;
};
const all = (...parts) => (req) => {
  let unknown = false;
  for (const p of parts) {
    const v = p(req);
    if (v === F) return F;
    if (v === U) unknown = true;
  }
  return unknown ? U : T;
};

// --- the rules (ported from guideline/rules.yaml) -------------------------------------------
const STRETCH_LIKE = ["calf-stretching", "graded-return-to-activity", "heat-application", "strengthening-and-physiotherapy"];
const RULES = [
  { // pe-breathlessness-chest-pain-haemoptysis
    redFlag: true, urgency: "emergency", pathway: "emergency-call-now",
    when: any(finding("sudden_breathlessness"), finding("chest_pain"), finding("coughing_blood")),
    asks: ["sudden_breathlessness", "chest_pain", "coughing_blood"],
  },
  { // cold-or-pale-leg
    redFlag: true, urgency: "emergency", pathway: "emergency-limb-threat",
    when: any(finding("leg_cold"), finding("leg_pale")),
    asks: ["leg_cold", "leg_pale"],
  },
  { // compartment-syndrome-pain-after-injury
    redFlag: true, urgency: "emergency", pathway: "emergency-limb-threat",
    when: all(any(finding("pain_unrelieved_by_rest"), finding("leg_numb")),
              any(finding("recent_fracture"), finding("tense_muscle_bulge"))),
    asks: ["pain_unrelieved_by_rest", "leg_numb", "recent_fracture", "tense_muscle_bulge"],
  },
  { // dvt-swollen-warm-red-calf
    redFlag: true, urgency: "urgent", pathway: "urgent-dvt-assessment",
    when: any(finding("calf_swelling"), finding("calf_warmth"), finding("calf_redness")),
    asks: ["calf_swelling", "calf_warmth", "calf_redness"],
  },
  { // dvt-tender-one-sided-with-clot-risk
    redFlag: true, urgency: "urgent", pathway: "urgent-dvt-assessment",
    when: all(
      finding("calf_tenderness"),
      oneSided,
      any(finding("recent_surgery"), finding("recent_illness"), finding("long_travel"), finding("immobility"),
          finding("clot_risk_medicines"), finding("cancer"), finding("obesity"), finding("older_age"), pregnant),
    ),
    asks: ["calf_tenderness", "side", "recent_surgery", "recent_illness", "long_travel", "immobility",
           "clot_risk_medicines", "cancer", "obesity", "older_age", "pregnant"],
  },
  { // tear-sudden-pop-difficulty-walking
    redFlag: true, urgency: "urgent", pathway: "urgent-tear-assessment",
    when: all(finding("sudden_severe_pain"), any(finding("pop_or_snap"), finding("difficulty_walking"))),
    asks: ["sudden_severe_pain", "pop_or_snap", "difficulty_walking"],
  },
  { // achilles-sudden-heel-pain
    redFlag: true, urgency: "urgent", pathway: "urgent-tear-assessment",
    when: all(finding("pain_low_calf_near_heel"), any(finding("sudden_severe_pain"), finding("pop_or_snap"))),
    asks: ["pain_low_calf_near_heel", "sudden_severe_pain", "pop_or_snap"],
  },
  { // numb-lower-leg
    redFlag: true, urgency: "urgent", pathway: "urgent-same-day-assessment",
    when: finding("leg_numb"),
    asks: ["leg_numb"],
  },
  { // infection-fever-hot-red-swollen
    redFlag: true, urgency: "urgent", pathway: "urgent-infection-assessment",
    when: all(finding("fever"), any(finding("calf_redness"), finding("calf_warmth"), finding("calf_swelling"))),
    asks: ["fever", "calf_redness", "calf_warmth", "calf_swelling"],
  },
  { // severe-pain-not-eased-by-rest
    redFlag: true, urgency: "urgent", pathway: "urgent-same-day-assessment",
    when: finding("pain_unrelieved_by_rest"),
    asks: ["pain_unrelieved_by_rest"],
  },
  { // claudication-pattern
    redFlag: false, urgency: "routine", pathway: "vascular-assessment",
    when: all(finding("pain_on_walking_distance"), finding("eases_with_rest")),
  },
  { // persistent-recurring-or-worsening-pain
    redFlag: false, urgency: "routine", pathway: "gp-review",
    when: any(finding("pain_persistent"), finding("pain_recurring"), finding("pain_worsening")),
  },
  { // frequent-troublesome-cramps
    redFlag: false, urgency: "routine", pathway: "gp-review",
    when: finding("frequent_cramps"),
  },
  { // diabetic-neuropathy-symptoms
    redFlag: false, urgency: "routine", pathway: "gp-review",
    when: all(finding("diabetes"), any(finding("tingling"), finding("reduced_sensation"), finding("burning_pain"),
                                        finding("loss_of_balance"))),
  },
  { // leg-weakness-review
    redFlag: false, urgency: "routine", pathway: "gp-review",
    when: any(finding("muscle_weakness"), finding("difficulty_moving_leg")),
  },

];

// Self-care advice, given only when every red flag is ruled out (guideline/advice.yaml).
const SELF_CARE_ADVICE = [
  { id: "rest-ice-compression-elevation", when: any(finding("obvious_muscle_injury"), finding("direct_blow")) },
  { id: "calf-stretching", when: any(finding("cramp_episode"), finding("night_cramps"), finding("obvious_muscle_injury"), finding("post_workout_soreness")) },
  { id: "graded-return-to-activity", when: any(finding("obvious_muscle_injury"), finding("aching_builds_with_activity")) },
  { id: "rest-and-time", when: finding("direct_blow") },
  { id: "stay-hydrated", when: any(finding("cramp_episode"), finding("night_cramps"), finding("dehydration")) },
];

const RANK = { self_care: 0, routine: 1, urgent: 2, emergency: 3 };

function isUnknown(req, leaf) {
  if (leaf === "side") return oneSided(req) === U;
  if (leaf === "pregnant") return pregnant(req) === U;
  return finding(leaf)(req) === U;
}

export function triage(req) {
  let urgency = "self_care";
  const pathways = [];
  const questions = [];
  const reasons = [];
  const fired = RULES.filter((r) => r.when(req) === T);
  for (const rule of fired) {
    if (RANK[rule.urgency] > RANK[urgency]) urgency = rule.urgency;
    if (!pathways.includes(rule.pathway)) pathways.push(rule.pathway);
  }
  // Red flags that could still raise the urgency if the unknowns turned out present.
  const open = RULES.filter((r) => r.redFlag && r.when(req) === U && RANK[r.urgency] > RANK[urgency]);
  if (open.length > 0) {
    if (!fired.some((r) => r.redFlag)) {
      if (RANK[urgency] < RANK.routine) urgency = "routine";
      pathways.push("red-flag-screen");
    }
    for (const rule of open) {
      for (const leaf of rule.asks) {
        if (isUnknown(req, leaf) && !questions.includes(leaf)) questions.push(leaf);
      }
    }
    reasons.push(`${open.length} red flag(s) not ruled out`);
  }
  const advice = [];
  if (urgency === "self_care") {
    pathways.push("self-care-muscle");
    reasons.push("every red flag ruled out");
    for (const item of SELF_CARE_ADVICE) if (item.when(req) === T) advice.push(item.id);
  }
  if (fired.length > 0) reasons.unshift(`${fired.length} rule(s) fired`);
  return { urgency, pathways, advice, questions, rationale: reasons.join("; ") };
}

// --- the protocol loop ------------------------------------------------------------------
function send(message) {
  process.stdout.write(JSON.stringify(message) + "\n");
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
let greeted = false;
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
    const major = String(message.protocol_version ?? "").split(".")[0];
    if (major !== PROTOCOL_MAJOR) console.error(`calfspec speaks protocol ${message.protocol_version}; I speak 1.x`);
    send({ type: "hello", protocol_version: "1.0", name: NAME, version: VERSION });
    greeted = true;
  } else if (message.type === "triage" && greeted) {
    try {
      send({ type: "decision", id: message.id, decision: triage(message.request) });
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
