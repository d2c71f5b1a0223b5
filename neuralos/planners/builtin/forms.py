"""Forms with checks: a contact form and a sign-in form (after the official login example).

The fields carry client-side `checks`; the planner checks the submitted data again (a client may
not run checks) and answers with a status line, or for sign-in, a different view.
"""
from __future__ import annotations

import re

from neuralos.planners.builtin.app import App, Intent
from neuralos.planners.builtin.ui import UI, call, path, required

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_FEEDBACK = re.compile(r"^(?:please\s+)?(?:i (?:want|would like|'d like|need) to |let me |can i |how (?:do|can) i )?"
                       r"(?:send|give|leave|submit|write)\s+(?:you\s+|us\s+)?(?:some\s+|a\s+|my\s+)?"
                       r"(?:feedback|message to (?:support|you|the team)|support request|complaint|note to support)$|"
                       r"^(?:please\s+)?(?:contact|email|message) (?:support|the team|you)$")


def _email_check(p: str) -> dict:
    return {"condition": call("email", value=path(p)), "message": "Please enter a valid email address"}


class ContactApp(App):
    name = "contact"
    title = "Contact form"
    about = "name, email and message, checked before sending"
    examples = ("open a contact form", "I want to send feedback")
    aliases = r"contact(?: us| form| page)?|feedback(?: form)?|support form|message form"

    def initial_data(self, ctx, args):
        return {"name": "", "email": "", "message": "", "status": "", "sent": 0}

    def understand(self, part, ctx):
        return [Intent(self.name, "open")] if _FEEDBACK.match(part.low) else None

    def components(self, ctx, sid, data):
        ui = UI()
        ui.card("root", ui.column("form", [
            ui.text("title", "Get in touch", "h3"),
            ui.field("name", "Name", "/name", checks=[required("/name", "Please enter your name")]),
            ui.field("email", "Email", "/email", checks=[required("/email", "Email is required"), _email_check("/email")]),
            ui.field("message", "Message", "/message", variant="longText", checks=[
                required("/message", "Please write a message"),
                {"condition": call("length", value=path("/message"), min=5), "message": "The message is too short"}]),
            ui.button("send", "Send", "send_message",
                      {"name": path("/name"), "email": path("/email"), "message": path("/message")},
                      variant="primary",
                      checks=[{"condition": call("and", values=[call("required", value=path("/name")),
                                                                call("email", value=path("/email")),
                                                                call("length", value=path("/message"), min=5)]),
                               "message": "Please fix the fields above first"}]),
            ui.text("status", path("/status"), "caption"),
        ]))
        return ui.components

    def on_action(self, ctx, sid, name, context):
        if name != "send_message":
            return super().on_action(ctx, sid, name, context)
        data = ctx.data(sid)
        who = str(context.get("name", "")).strip()
        email = str(context.get("email", "")).strip()
        message = str(context.get("message", "")).strip()
        problems = []
        if not who:
            problems.append("your name")
        if not EMAIL.match(email):
            problems.append("a valid email address")
        if len(message) < 5:
            problems.append("a message of at least 5 characters")
        if problems:
            data["status"] = "Please enter " + ", ".join(problems) + "."
            ctx.reply(data["status"])
            return
        data.update(message="", sent=int(data.get("sent", 0)) + 1,
                    status=f"Thanks, {who}! Your message is saved here; the builtin planner sends nothing over the network.")
        ctx.reply(f"Message from {who} <{email}> received.")


class LoginApp(App):
    name = "login"
    title = "Sign in"
    about = "a sign-in form with checks (a local session: no accounts, no network)"
    examples = ("show a login form", "sign in")
    aliases = r"log ?in(?: form| page| screen)?|sign[ -]?in(?: form| page| screen)?|sign[ -]?on"

    def initial_data(self, ctx, args):
        return {"email": "", "password": "", "status": "", "user": ""}

    def components(self, ctx, sid, data):
        ui = UI()
        ui.card("root", ui.column("main", [
            ui.column("header", [ui.text("title", "Welcome back", "h2"),
                                 ui.text("subtitle", "Sign in to your account", "caption")], align="center"),
            ui.field("email", "Email", "/email", checks=[required("/email", "Email is required"), _email_check("/email")]),
            ui.field("password", "Password", "/password", variant="obscured", checks=[
                required("/password", "Password is required"),
                {"condition": call("length", value=path("/password"), min=8),
                 "message": "Password must be at least 8 characters long"}]),
            ui.button("login", "Sign in", "login", {"email": path("/email"), "password": path("/password")},
                      variant="primary"),
            ui.text("status", path("/status"), "caption"),
        ]))
        return ui.components

    def _signed_in(self) -> list[dict]:
        ui = UI()
        ui.card("root", ui.column("main", [
            ui.text("title", "Signed in", "h2"),
            ui.text("who", path("/user"), "body"),
            ui.text("note", "This is a local session: the builtin planner keeps no accounts.", "caption"),
            ui.button("logout", "Sign out", "logout"),
        ], align="center"))
        return ui.components

    def on_action(self, ctx, sid, name, context):
        data = ctx.data(sid)
        if name == "login":
            email = str(context.get("email", "")).strip()
            password = str(context.get("password", ""))
            if not EMAIL.match(email) or len(password) < 8:
                data["status"] = "Please enter a valid email and a password of at least 8 characters."
                ctx.reply(data["status"])
                return
            data.update(user=f"Signed in as {email}", password="", status="")
            ctx.set_components(sid, self._signed_in())
            ctx.reply(f"Signed in as {email}.")
        elif name == "logout":
            data.update(user="", password="", status="Signed out.")
            ctx.set_components(sid, self.components(ctx, sid, data))
            ctx.reply("Signed out.")
        else:
            super().on_action(ctx, sid, name, context)
