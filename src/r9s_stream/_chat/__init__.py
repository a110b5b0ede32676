"""_chat"""
